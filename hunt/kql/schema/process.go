package schema

import (
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/loghunt/loghunt/parsers/winevent"
)

// Security 4688's fields that carry Sysmon 1's, from the mapping Sigma
// uses too. The accounts are winevent.Subject4688 and Target4688.
var (
	sec4688Image           = winevent.Security4688.From("Image")
	sec4688ParentImage     = winevent.Security4688.From("ParentImage")
	sec4688ProcessID       = winevent.Security4688.From("ProcessId")
	sec4688ParentProcessID = winevent.Security4688.From("ParentProcessId")
	sec4688Label           = winevent.Security4688.From("IntegrityLevel")
)

// procInfo is what the process tree keeps of one Sysmon event 1.
type procInfo struct {
	image, commandLine, user, integrity                      string
	company, product, fileVersion, originalName, description string
	hashes                                                   hashes
	created                                                  time.Time
	parentPID                                                any // int64 or nil
	parentImage, parentGUID                                  string
}

func (b *Builder) addProc(v *view) {
	g := guidKey(v.get("ProcessGuid"))
	if g == "" {
		return
	}
	created, ok := sysmonTime(v.get("UtcTime"))
	if !ok {
		created = v.time
	}
	p := &procInfo{
		image: v.get("Image"), commandLine: v.get("CommandLine"), user: v.get("User"),
		integrity: v.get("IntegrityLevel"), company: v.get("Company"), product: v.get("Product"),
		fileVersion: v.get("FileVersion"), originalName: v.get("OriginalFileName"),
		description: v.get("Description"), hashes: parseHashes(v.get("Hashes")), created: created,
		parentPID: parseNum(v.get("ParentProcessId")), parentImage: v.get("ParentImage"),
		parentGUID: guidKey(v.get("ParentProcessGuid")),
	}
	if q, ok := b.procs[g]; ok && !q.created.IsZero() && q.created.Before(created) {
		return
	}
	b.procs[g] = p
}

// jsonBag renders the named fields of v that are present as a JSON object
// (Defender's AdditionalFields), keys in the order given, or "" when none is.
func jsonBag(v *view, names ...string) string {
	var buf []byte
	for _, n := range names {
		s, ok := v.event().Get(n)
		if !ok {
			continue
		}
		if buf == nil {
			buf = append(make([]byte, 0, 256), '{')
		} else {
			buf = append(buf, ',')
		}
		buf = appendJSONString(buf, n)
		buf = append(buf, ':')
		buf = appendJSONString(buf, s)
	}
	if buf == nil {
		return ""
	}
	return string(append(buf, '}'))
}

// appendJSONString appends s as a JSON string literal; invalid UTF-8 becomes
// U+FFFD.
func appendJSONString(buf []byte, s string) []byte {
	const hexDigits = "0123456789abcdef"
	buf = append(buf, '"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			buf = append(buf, '\\', byte(r))
		case r < 0x20:
			buf = append(buf, '\\', 'u', '0', '0', hexDigits[r>>4], hexDigits[r&0xf])
		default:
			buf = utf8.AppendRune(buf, r)
		}
	}
	return append(buf, '"')
}

// dpeSysmon adds a DeviceProcessEvents row from Sysmon event 1.
func (b *Builder) dpeSysmon(v *view) {
	w := b.newRow(b.dpe, v.event(), v.time)
	b.device(w, v, v.event())
	w.set("ActionType", "ProcessCreated")
	fileColumns(w, v.get("Image"), parseHashes(v.get("Hashes")))
	w.str("ProcessVersionInfoCompanyName", v.get("Company"))
	w.str("ProcessVersionInfoProductName", v.get("Product"))
	w.str("ProcessVersionInfoProductVersion", v.get("FileVersion"))
	w.str("ProcessVersionInfoOriginalFileName", v.get("OriginalFileName"))
	w.str("ProcessVersionInfoFileDescription", v.get("Description"))
	w.set("ProcessId", parseNum(v.get("ProcessId")))
	w.str("ProcessCommandLine", v.get("CommandLine"))
	w.str("ProcessIntegrityLevel", v.get("IntegrityLevel"))
	if t, ok := sysmonTime(v.get("UtcTime")); ok {
		w.set("ProcessCreationTime", t)
	} else {
		w.set("ProcessCreationTime", timeCell(v.time))
	}
	dom, name := splitUser(v.get("User"))
	w.str("AccountDomain", dom)
	w.str("AccountName", name)
	w.set("LogonId", parseNum(v.get("LogonId")))
	dom, name = splitUser(v.get("ParentUser"))
	w.str("InitiatingProcessAccountDomain", dom)
	w.str("InitiatingProcessAccountName", name)
	pimg := v.get("ParentImage")
	w.str("InitiatingProcessFileName", baseName(pimg))
	w.str("InitiatingProcessFolderPath", pimg)
	w.set("InitiatingProcessId", parseNum(v.get("ParentProcessId")))
	w.str("InitiatingProcessCommandLine", v.get("ParentCommandLine"))
	w.str("AdditionalFields", jsonBag(v, "ProcessGuid", "ParentProcessGuid", "CurrentDirectory", "LogonGuid", "TerminalSessionId", "RuleName"))
	w.lookup(v.get("ParentProcessGuid"))
}

// dpeSecurity adds a DeviceProcessEvents row from Security event 4688.
func (b *Builder) dpeSecurity(v *view) {
	w := b.newRow(b.dpe, v.event(), v.time)
	b.device(w, v, v.event())
	w.set("ActionType", "ProcessCreated")
	img := v.get(sec4688Image)
	w.str("FileName", baseName(img))
	w.str("FolderPath", img)
	w.set("ProcessId", parseNum(v.get(sec4688ProcessID)))
	w.str("ProcessCommandLine", v.get("CommandLine"))
	w.str("ProcessIntegrityLevel", integrityFromLabel(v.get(sec4688Label)))
	w.str("ProcessTokenElevation", winevent.TokenElevation(v.get("TokenElevationType")))
	w.set("ProcessCreationTime", timeCell(v.time))
	sub := &winevent.Subject4688
	sdom, suser, ssid := v.get(sub.Domain), v.get(sub.User), v.get(sub.SID)
	// The new process's account, as Sigma's 4688 User and LogonId.
	acct := winevent.NewProcessAccount(v.get)
	w.str("AccountDomain", acct.Domain)
	w.str("AccountName", acct.Name)
	w.str("AccountSid", acct.SID)
	w.set("LogonId", parseNum(acct.LogonID))
	w.str("InitiatingProcessAccountDomain", sdom)
	w.str("InitiatingProcessAccountName", suser)
	w.str("InitiatingProcessAccountSid", ssid)
	w.set("InitiatingProcessLogonId", parseNum(v.get(sub.LogonID)))
	pimg := v.get(sec4688ParentImage)
	w.str("InitiatingProcessFileName", baseName(pimg))
	w.str("InitiatingProcessFolderPath", pimg)
	w.set("InitiatingProcessId", parseNum(v.get(sec4688ParentProcessID)))
}

// asimCommon fills the ASIM columns every schema shares.
func asimCommon(w row, v *view, product, schema, version, eventType, origType string) {
	w.set("TimeGenerated", timeCell(v.time))
	w.set("EventStartTime", timeCell(v.time))
	w.set("EventEndTime", timeCell(v.time))
	w.set("EventCount", int64(1))
	w.set("EventVendor", "Microsoft")
	w.set("EventProduct", product)
	w.set("EventSchema", schema)
	w.set("EventSchemaVersion", version)
	w.str("EventType", eventType)
	w.set("EventResult", "Success")
	w.set("EventOriginalType", origType)
	w.str("DvcHostname", v.host())
	w.str("Dvc", v.host())
	w.set("DvcOs", "Windows")
}

// impSysmon adds an imProcessCreate row from Sysmon event 1, as the ASIM
// Sysmon parser maps it.
func (b *Builder) impSysmon(v *view) {
	w := b.newRow(b.imp, v.event(), v.time)
	asimCommon(w, v, "Sysmon", "ProcessEvent", "0.1.0", "ProcessCreated", "1")
	w.set("Type", "Event")
	img := v.get("Image")
	w.str("TargetProcessName", img)
	w.str("Process", img)
	w.str("TargetProcessFilename", v.get("OriginalFileName"))
	cl := v.get("CommandLine")
	w.str("TargetProcessCommandLine", cl)
	w.str("CommandLine", cl)
	w.str("TargetProcessId", v.get("ProcessId"))
	w.str("TargetProcessGuid", v.get("ProcessGuid"))
	w.str("TargetProcessCurrentDirectory", v.get("CurrentDirectory"))
	w.str("TargetProcessIntegrityLevel", v.get("IntegrityLevel"))
	w.str("TargetProcessFileCompany", v.get("Company"))
	w.str("TargetProcessFileDescription", v.get("Description"))
	w.str("TargetProcessFileVersion", v.get("FileVersion"))
	w.str("TargetProcessFileProduct", v.get("Product"))
	h := parseHashes(v.get("Hashes"))
	w.str("TargetProcessMD5", h.md5)
	w.str("TargetProcessSHA1", h.sha1)
	w.str("TargetProcessSHA256", h.sha256)
	w.str("TargetProcessIMPHASH", h.imphash)
	hash, typ := h.best()
	w.str("Hash", hash)
	w.str("HashType", typ)
	if t, ok := sysmonTime(v.get("UtcTime")); ok {
		w.set("TargetProcessCreationTime", t)
	}
	u := v.get("User")
	w.str("TargetUsername", u)
	w.str("User", u)
	w.set("TargetUsernameType", "Windows")
	w.str("TargetUserSessionId", v.get("LogonId"))
	w.str("TargetUserSessionGuid", v.get("LogonGuid"))
	w.str("ActorUsername", v.get("ParentUser"))
	w.set("ActorUsernameType", "Windows")
	w.str("ActingProcessName", v.get("ParentImage"))
	w.str("ActingProcessId", v.get("ParentProcessId"))
	w.str("ActingProcessGuid", v.get("ParentProcessGuid"))
	w.str("ActingProcessCommandLine", v.get("ParentCommandLine"))
	w.lookup(v.get("ParentProcessGuid"))
}

// impSecurity adds an imProcessCreate row from Security event 4688, as the
// ASIM 4688 parser maps it.
func (b *Builder) impSecurity(v *view) {
	w := b.newRow(b.imp, v.event(), v.time)
	asimCommon(w, v, "Security Events", "ProcessEvent", "0.1.3", "ProcessCreated", "4688")
	w.set("Type", "SecurityEvent")
	img := v.get(sec4688Image)
	w.str("TargetProcessName", img)
	w.str("Process", img)
	w.str("TargetProcessFilename", baseName(img))
	cl := v.get("CommandLine")
	w.str("TargetProcessCommandLine", cl)
	w.str("CommandLine", cl)
	w.str("TargetProcessId", numString(v.get(sec4688ProcessID)))
	w.str("TargetProcessIntegrityLevel", asimIntegrity(v.get(sec4688Label)))
	w.str("TargetProcessTokenElevation", winevent.TokenElevation(v.get("TokenElevationType")))
	sub, tgt := &winevent.Subject4688, &winevent.Target4688
	tsid := v.get(tgt.SID)
	tu := v.get(tgt.User)
	target := winAccount(v.get(tgt.Domain), tu)
	if tu == "" || tu == "-" {
		target = knownSIDName(tsid)
	}
	w.str("TargetUsername", target)
	w.str("User", target)
	w.set("TargetUsernameType", "Windows")
	w.str("TargetUserId", tsid)
	if tsid != "" {
		w.set("TargetUserIdType", "SID")
	}
	w.str("TargetUserSessionId", v.get(tgt.LogonID))
	ssid, su := v.get(sub.SID), v.get(sub.User)
	actor := winAccount(v.get(sub.Domain), su)
	if su == "" || su == "-" {
		actor = knownSIDName(ssid)
	}
	w.str("ActorUsername", actor)
	w.set("ActorUsernameType", "Windows")
	w.str("ActorUserId", ssid)
	if ssid != "" {
		w.set("ActorUserIdType", "SID")
	}
	w.str("ActorDomainName", v.get(sub.Domain))
	w.str("ActorSessionId", v.get(sub.LogonID))
	pimg := v.get(sec4688ParentImage)
	w.str("ActingProcessName", pimg)
	w.str("ActingProcessFilename", baseName(pimg))
	w.str("ActingProcessId", numString(v.get(sec4688ParentProcessID)))
}

// fillerFor returns the function that fills a table's process-tree columns
// from the looked-up process (and its parent, for grandparent columns), or
// nil when the table has none.
func fillerFor(table string) func(r *tableRows, cells []any, p, parent *procInfo) {
	switch table {
	case "DeviceProcessEvents", "DeviceNetworkEvents", "DeviceFileEvents", "DeviceRegistryEvents", "DeviceImageLoadEvents", "DeviceEvents":
		return fillInitiating
	case "imProcessCreate":
		return fillActing
	case "imFileEvent":
		return func(r *tableRows, cells []any, p, _ *procInfo) {
			w := row{r, cells}
			setIfEmpty(w, "ActingProcessCommandLine", p.commandLine)
		}
	case "imRegistry":
		return func(r *tableRows, cells []any, p, _ *procInfo) {
			w := row{r, cells}
			setIfEmpty(w, "ParentProcessName", p.parentImage)
			if n, ok := p.parentPID.(int64); ok {
				setIfEmpty(w, "ParentProcessId", strconv.FormatInt(n, 10))
			}
		}
	}
	return nil
}

// setIfEmpty fills a string column that the event itself left empty.
func setIfEmpty(w row, name, s string) {
	i, ok := w.r.info.index[name]
	if !ok || s == "" {
		return
	}
	if cur, _ := w.cells[i].(string); cur == "" {
		w.cells[i] = s
	}
}

func setNilCell(w row, name string, v any) {
	if i, ok := w.r.info.index[name]; ok && w.cells[i] == nil && v != nil {
		w.cells[i] = v
	}
}

// fillInitiating fills Defender's Initiating* columns from the initiating
// process p (the parent for DeviceProcessEvents, the acting process for the
// other tables) and its own parent.
func fillInitiating(r *tableRows, cells []any, p, parent *procInfo) {
	w := row{r, cells}
	setIfEmpty(w, "InitiatingProcessSHA1", p.hashes.sha1)
	setIfEmpty(w, "InitiatingProcessSHA256", p.hashes.sha256)
	setIfEmpty(w, "InitiatingProcessMD5", p.hashes.md5)
	setIfEmpty(w, "InitiatingProcessVersionInfoCompanyName", p.company)
	setIfEmpty(w, "InitiatingProcessVersionInfoProductName", p.product)
	setIfEmpty(w, "InitiatingProcessVersionInfoProductVersion", p.fileVersion)
	setIfEmpty(w, "InitiatingProcessVersionInfoOriginalFileName", p.originalName)
	setIfEmpty(w, "InitiatingProcessVersionInfoFileDescription", p.description)
	setIfEmpty(w, "InitiatingProcessIntegrityLevel", p.integrity)
	setIfEmpty(w, "InitiatingProcessCommandLine", p.commandLine)
	setIfEmpty(w, "InitiatingProcessFolderPath", p.image)
	setIfEmpty(w, "InitiatingProcessFileName", baseName(p.image))
	dom, name := splitUser(p.user)
	setIfEmpty(w, "InitiatingProcessAccountDomain", dom)
	setIfEmpty(w, "InitiatingProcessAccountName", name)
	setNilCell(w, "InitiatingProcessCreationTime", timeCell(p.created))
	setNilCell(w, "InitiatingProcessParentId", p.parentPID)
	setIfEmpty(w, "InitiatingProcessParentFileName", baseName(p.parentImage))
	if parent != nil {
		setNilCell(w, "InitiatingProcessParentCreationTime", timeCell(parent.created))
	}
}

// fillActing fills the ASIM ActingProcess* and ParentProcess* columns of an
// imProcessCreate row from the acting (parent) process p.
func fillActing(r *tableRows, cells []any, p, _ *procInfo) {
	w := row{r, cells}
	setIfEmpty(w, "ActingProcessMD5", p.hashes.md5)
	setIfEmpty(w, "ActingProcessSHA1", p.hashes.sha1)
	setIfEmpty(w, "ActingProcessSHA256", p.hashes.sha256)
	setIfEmpty(w, "ActingProcessIMPHASH", p.hashes.imphash)
	setIfEmpty(w, "ActingProcessFileCompany", p.company)
	setIfEmpty(w, "ActingProcessFileDescription", p.description)
	setIfEmpty(w, "ActingProcessFileProduct", p.product)
	setIfEmpty(w, "ActingProcessFileVersion", p.fileVersion)
	setIfEmpty(w, "ActingProcessFileOriginalName", p.originalName)
	setIfEmpty(w, "ActingProcessIntegrityLevel", p.integrity)
	setIfEmpty(w, "ActingProcessCommandLine", p.commandLine)
	setNilCell(w, "ActingProcessCreationTime", timeCell(p.created))
	if n, ok := p.parentPID.(int64); ok {
		setIfEmpty(w, "ParentProcessId", strconv.FormatInt(n, 10))
	}
	setIfEmpty(w, "ParentProcessGuid", p.parentGUID)
}
