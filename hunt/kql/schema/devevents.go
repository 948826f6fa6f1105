package schema

import (
	"strconv"
	"strings"

	"github.com/loghunt/loghunt/parsers/winevent"
)

// jsonPair is one member of an AdditionalFields object: a string, int64 or
// bool value; an empty string is left out.
type jsonPair struct {
	key string
	val any
}

// jsonObject renders pairs as a JSON object, in the order given, or ""
// when every value is empty.
func jsonObject(pairs ...jsonPair) string {
	var buf []byte
	for _, p := range pairs {
		if s, ok := p.val.(string); ok && s == "" || p.val == nil {
			continue
		}
		if buf == nil {
			buf = append(make([]byte, 0, 128), '{')
		} else {
			buf = append(buf, ',')
		}
		buf = appendJSONString(buf, p.key)
		buf = append(buf, ':')
		switch x := p.val.(type) {
		case string:
			buf = appendJSONString(buf, x)
		case int64:
			buf = strconv.AppendInt(buf, x, 10)
		case bool:
			buf = strconv.AppendBool(buf, x)
		}
	}
	if buf == nil {
		return ""
	}
	return string(append(buf, '}'))
}

// deviceEventSecurity reports whether a Security event becomes a
// DeviceEvents row.
func deviceEventSecurity(id uint32) bool {
	_, ok := securityDeviceActions[id]
	return ok
}

// securityDeviceActions maps Security events to the DeviceEvents ActionType
// Defender records for the same activity.
var securityDeviceActions = map[uint32]string{
	4697: "ServiceInstalled",
	4698: "ScheduledTaskCreated",
	4699: "ScheduledTaskDeleted",
	4702: "ScheduledTaskUpdated",
	4720: "UserAccountCreated",
	4726: "UserAccountDeleted",
	4732: "UserAccountAddedToLocalGroup",
	4733: "UserAccountRemovedFromLocalGroup",
}

// devSysmon adds a DeviceEvents row from Sysmon 8 (CreateRemoteThread),
// 10 (process access), 17/18 (named pipes) or 22 (DNS query). For 8 and 10
// the source process is the initiating process and FileName, FolderPath
// and ProcessId name the target, as Defender's CreateRemoteThreadApiCall
// and OpenProcessApiCall rows do.
func (b *Builder) devSysmon(v *view, id uint32) {
	w := b.newRow(b.dev, v.event(), v.time)
	b.device(w, v, v.event())
	initiating := func(image, pid, user, guid string) {
		w.str("InitiatingProcessFolderPath", image)
		w.str("InitiatingProcessFileName", baseName(image))
		w.set("InitiatingProcessId", parseNum(pid))
		dom, name := splitUser(user)
		w.str("InitiatingProcessAccountDomain", dom)
		w.str("InitiatingProcessAccountName", name)
		w.lookup(guid)
	}
	switch id {
	case 8, 10:
		guidField := "SourceProcessGuid"
		targetGUID := "TargetProcessGuid"
		if id == 10 {
			// Sysmon 10 spells these GUID.
			guidField, targetGUID = "SourceProcessGUID", "TargetProcessGUID"
		}
		initiating(v.get("SourceImage"), v.get("SourceProcessId"), v.get("SourceUser"), v.get(guidField))
		target := v.get("TargetImage")
		w.str("FolderPath", target)
		w.str("FileName", baseName(target))
		w.set("ProcessId", parseNum(v.get("TargetProcessId")))
		dom, name := splitUser(v.get("TargetUser"))
		w.str("AccountDomain", dom)
		w.str("AccountName", name)
		if id == 8 {
			w.set("ActionType", "CreateRemoteThreadApiCall")
			w.str("AdditionalFields", jsonObject(
				jsonPair{"StartAddress", v.get("StartAddress")}, jsonPair{"StartModule", v.get("StartModule")},
				jsonPair{"StartFunction", v.get("StartFunction")}, jsonPair{"NewThreadId", parseNum(v.get("NewThreadId"))},
				jsonPair{"TargetProcessGuid", v.get(targetGUID)}))
		} else {
			w.set("ActionType", "OpenProcessApiCall")
			w.str("AdditionalFields", jsonObject(
				jsonPair{"DesiredAccess", parseNum(v.get("GrantedAccess"))}, jsonPair{"GrantedAccess", v.get("GrantedAccess")},
				jsonPair{"CallTrace", v.get("CallTrace")}, jsonPair{"TargetProcessGuid", v.get(targetGUID)}))
		}
	case 17, 18:
		initiating(v.get("Image"), v.get("ProcessId"), v.get("User"), v.get("ProcessGuid"))
		w.set("ActionType", "NamedPipeEvent")
		op := "CreatePipe"
		if id == 18 {
			op = "ConnectPipe"
		}
		w.str("AdditionalFields", jsonObject(jsonPair{"PipeName", v.get("PipeName")}, jsonPair{"FileOperation", op}))
	case 22:
		initiating(v.get("Image"), v.get("ProcessId"), v.get("User"), v.get("ProcessGuid"))
		w.set("ActionType", "DnsQueryResponse")
		w.str("AdditionalFields", jsonObject(jsonPair{"DnsQueryString", v.get("QueryName")},
			jsonPair{"DnsQueryStatus", v.get("QueryStatus")}, jsonPair{"DnsQueryResult", dash(v.get("QueryResults"))}))
	}
}

// devSecurity adds a DeviceEvents row from a Security event of
// securityDeviceActions: the subject is the acting account (Defender's
// AccountName on these rows is the account the action was about, the
// target, when there is one).
func (b *Builder) devSecurity(v *view, id uint32) {
	w := b.newRow(b.dev, v.event(), v.time)
	b.device(w, v, v.event())
	w.set("ActionType", securityDeviceActions[id])
	sdom, suser, ssid := dash2empty(v.get("SubjectDomainName")), dash2empty(v.get("SubjectUserName")), sidOrEmpty(v.get("SubjectUserSid"))
	w.str("InitiatingProcessAccountDomain", sdom)
	w.str("InitiatingProcessAccountName", suser)
	w.str("InitiatingProcessAccountSid", ssid)
	w.set("InitiatingProcessLogonId", parseNum(v.get("SubjectLogonId")))
	switch id {
	case 4697:
		img := v.get("ServiceFileName")
		w.str("FolderPath", img)
		w.str("FileName", baseName(img))
		w.str("AccountDomain", sdom)
		w.str("AccountName", suser)
		w.str("AccountSid", ssid)
		w.str("AdditionalFields", jsonObject(jsonPair{"ServiceName", v.get("ServiceName")},
			jsonPair{"ServiceType", v.get("ServiceType")}, jsonPair{"ServiceStartType", v.get("ServiceStartType")},
			jsonPair{"ServiceAccount", v.get("ServiceAccount")}))
	case 4698, 4699, 4702:
		w.str("AccountDomain", sdom)
		w.str("AccountName", suser)
		w.str("AccountSid", ssid)
		content := v.get("TaskContent")
		if id == 4702 {
			content = v.get("TaskContentNew")
		}
		w.str("AdditionalFields", jsonObject(jsonPair{"TaskName", v.get("TaskName")}, jsonPair{"TaskContent", content}))
	case 4720, 4726:
		w.str("AccountDomain", dash2empty(v.get("TargetDomainName")))
		w.str("AccountName", dash2empty(v.get("TargetUserName")))
		w.str("AccountSid", sidOrEmpty(v.get("TargetSid")))
	case 4732, 4733:
		// MemberName is a distinguished name or "-"; the SID is reliable.
		w.str("AccountSid", sidOrEmpty(v.get("MemberSid")))
		w.str("AdditionalFields", jsonObject(jsonPair{"GroupName", v.get("TargetUserName")},
			jsonPair{"GroupDomain", v.get("TargetDomainName")}, jsonPair{"GroupSid", v.get("TargetSid")},
			jsonPair{"MemberName", dash2empty(v.get("MemberName"))}))
	}
}

// addOther converts the events of the channels that are neither Sysmon nor
// Security.
func (b *Builder) addOther(v *view, id uint32) {
	if b.dev == nil {
		return
	}
	ev := v.src
	switch {
	case strings.EqualFold(ev.Channel, winevent.Defender) && (id == 1116 || id == 1117):
		b.devAntivirus(v, id)
	case (strings.EqualFold(ev.Channel, winevent.PowerShell) || strings.EqualFold(ev.Channel, winevent.PowerShellCore)) && id == 4104:
		b.devPowerShell(v)
	case strings.EqualFold(ev.Channel, winevent.SystemLog) && id == 7045 &&
		(ev.Provider == "" || strings.EqualFold(ev.Provider, winevent.ServiceControlManager)):
		b.devService7045(v)
	}
}

// defenderField reads a Defender EventData field, written with spaces
// ("Threat Name") in the event and without them once the parsers rename
// it (winevent.DataName).
func defenderField(v *view, spaced string) string {
	if s, ok := v.event().Get(strings.ReplaceAll(spaced, " ", "")); ok {
		return s
	}
	return v.get(spaced)
}

// devAntivirus adds an AntivirusDetection row from Defender 1116 (malware
// detected) or 1117 (action taken); WasRemediated tells them apart.
func (b *Builder) devAntivirus(v *view, id uint32) {
	w := b.newRow(b.dev, v.event(), v.time)
	b.device(w, v, v.event())
	w.set("ActionType", "AntivirusDetection")
	path := v.get("Path")
	// Path lists the resources as "file:_C:\x.exe" (several joined by
	// ";"); the first file resource is the detected file.
	for _, res := range strings.Split(path, ";") {
		if p, ok := strings.CutPrefix(strings.TrimSpace(res), "file:_"); ok {
			w.str("FolderPath", p)
			w.str("FileName", baseName(p))
			break
		}
	}
	if p := defenderField(v, "Process Name"); p != "" && p != "Unknown" {
		w.str("InitiatingProcessFolderPath", p)
		w.str("InitiatingProcessFileName", baseName(p))
	}
	dom, name := splitUser(defenderField(v, "Detection User"))
	w.str("AccountDomain", dom)
	w.str("AccountName", name)
	w.str("AdditionalFields", jsonObject(jsonPair{"ThreatName", defenderField(v, "Threat Name")},
		jsonPair{"WasRemediated", id == 1117}, jsonPair{"Severity", defenderField(v, "Severity Name")},
		jsonPair{"Category", defenderField(v, "Category Name")}, jsonPair{"DetectionId", defenderField(v, "Detection ID")},
		jsonPair{"ResourcePath", path}))
}

// devPowerShell adds a PowerShellCommand row from a 4104 script block.
// Defender's Command is one invoked command; the script block, its text in
// Command, is the nearest a Windows log holds.
func (b *Builder) devPowerShell(v *view) {
	w := b.newRow(b.dev, v.event(), v.time)
	b.device(w, v, v.event())
	w.set("ActionType", "PowerShellCommand")
	w.str("AccountSid", v.get("Security_UserID"))
	w.str("InitiatingProcessAccountSid", v.get("Security_UserID"))
	if n, ok := parseNum(v.get("ProcessID")).(int64); ok && n != 0 {
		w.set("InitiatingProcessId", n)
	}
	w.str("AdditionalFields", jsonObject(jsonPair{"Command", v.get("ScriptBlockText")},
		jsonPair{"ScriptBlockId", v.get("ScriptBlockId")}, jsonPair{"Path", v.get("Path")},
		jsonPair{"MessageNumber", parseNum(v.get("MessageNumber"))}, jsonPair{"MessageTotal", parseNum(v.get("MessageTotal"))}))
}

// devService7045 adds a ServiceInstalled row from System 7045.
func (b *Builder) devService7045(v *view) {
	w := b.newRow(b.dev, v.event(), v.time)
	b.device(w, v, v.event())
	w.set("ActionType", "ServiceInstalled")
	img := v.get("ImagePath")
	w.str("FolderPath", img)
	w.str("FileName", baseName(img))
	w.str("InitiatingProcessAccountSid", v.get("Security_UserID"))
	w.str("AdditionalFields", jsonObject(jsonPair{"ServiceName", v.get("ServiceName")},
		jsonPair{"ServiceType", v.get("ServiceType")}, jsonPair{"ServiceStartType", v.get("StartType")},
		jsonPair{"ServiceAccount", v.get("AccountName")}))
}

// seeDevice records the event's computer for DeviceInfo, keeping the
// position of the newest event from it.
func (b *Builder) seeDevice(v *view) {
	h := v.src.Computer
	if h == "" {
		h, _ = v.src.Get("Computer")
	}
	if h == "" {
		return
	}
	h = strings.ToLower(h)
	k := keyOf(v.src, v.time)
	if q, ok := b.seen[h]; !ok || compareKeys(k, q) > 0 {
		if !ok {
			h = strings.Clone(h)
		}
		k.path = strings.Clone(k.path)
		b.seen[h] = k
	}
}

// deviceInfoRows adds one DeviceInfo row per computer seen, timed at its
// newest event (whose position is the row's origin).
func (b *Builder) deviceInfoRows() {
	r := b.dinf
	for h, k := range b.seen {
		cells := make([]any, len(r.template))
		copy(cells, r.template)
		w := row{r, cells}
		t := timeCell(k.when())
		w.set("Timestamp", t)
		w.set("TimeGenerated", t)
		w.set("DeviceId", deviceID(h))
		w.set("DeviceName", h)
		if k.rec != 0 {
			w.set("ReportId", int64(k.rec))
		}
		w.set("Type", "DeviceInfo")
		r.rows = append(r.rows, cells)
		r.keys = append(r.keys, k)
		b.stats.Rows++
	}
	b.seen = nil
}
