package schema

import (
	_ "embed"
	"encoding/xml"
	"strconv"
	"strings"
	"sync"

	"github.com/loghunt/loghunt/hunt/kql/value"
	"github.com/loghunt/loghunt/parsers"
	"github.com/loghunt/loghunt/parsers/winevent"
)

//go:embed activity.tsv
var activityTSV string

var activities = sync.OnceValue(func() map[uint32]string {
	m := map[uint32]string{}
	for _, line := range strings.Split(activityTSV, "\n") {
		id, desc, ok := strings.Cut(strings.TrimRight(line, "\r"), "\t")
		if !ok || strings.HasPrefix(line, "#") {
			continue
		}
		if n, err := strconv.ParseUint(id, 10, 32); err == nil {
			m[uint32(n)] = desc
		}
	}
	return m
})

// activity renders SecurityEvent.Activity: "4688 - A new process has been
// created.", or the bare id for an event without a known title.
func activity(id uint32) string {
	s := strconv.FormatUint(uint64(id), 10)
	if d, ok := activities()[id]; ok {
		return s + " - " + d
	}
	return s
}

// systemField reports whether a field name is one of the System values the
// parsers add next to EventData (see parsers.Field) that the tables leave
// out of their EventData renderings (winevent.SystemField.KQLAsData).
func systemField(name string) bool {
	f, ok := winevent.LookupSystemField(name)
	return ok && !f.KQLAsData
}

// eventDataXML renders the EventData fields of ev as the XML Log Analytics
// stores: <EventData xmlns="..."><Data Name="X">v</Data>...</EventData>.
func eventDataXML(sb *strings.Builder, ev *parsers.Event) {
	sb.WriteString(`<EventData xmlns="http://schemas.microsoft.com/win/2004/08/events/event">`)
	for _, f := range ev.Fields {
		if systemField(f.Name) {
			continue
		}
		sb.WriteString(`<Data Name="`)
		xml.EscapeText(sb, []byte(f.Name))
		sb.WriteString(`">`)
		xml.EscapeText(sb, []byte(f.Value))
		sb.WriteString(`</Data>`)
	}
	sb.WriteString(`</EventData>`)
}

// targetAccountEvent reports whether SecurityEvent.Account names the target
// (the account logged on) rather than the subject (the one acting).
func targetAccountEvent(id uint32) bool {
	switch id {
	case 4624, 4625, 4634, 4647, 4768, 4769, 4770, 4771, 4776:
		return true
	}
	return false
}

// secRow adds a SecurityEvent row. Every EventData field named like a
// SecurityEvent column fills it; the computed columns (Account, Activity,
// LogonTypeName, Process, EventData...) follow the Log Analytics agent.
func (b *Builder) secRow(v *view, id uint32) {
	w := b.newRow(b.sec, v.event(), v.time)
	info := b.sec.info
	for _, f := range v.event().Fields {
		if systemField(f.Name) {
			continue
		}
		i, ok := info.index[f.Name]
		if !ok {
			continue
		}
		switch info.Columns[i].Type {
		case value.String:
			w.cells[i] = f.Value
		case value.Int, value.Long:
			w.cells[i] = parseNum(f.Value)
		}
	}
	w.set("TimeGenerated", timeCell(v.time))
	w.str("Computer", v.host())
	w.set("EventID", int64(id))
	w.set("Channel", winevent.Security)
	src := v.event().Provider
	if src == "" {
		src = winevent.SecurityProvider
	}
	w.set("EventSourceName", src)
	w.set("Level", strconv.Itoa(int(v.event().Level)))
	w.set("Task", parseNum(v.get("Task")))
	w.set("Activity", activity(id))
	w.set("SourceSystem", "OpsManager")
	w.set("Type", "SecurityEvent")

	sdom, suser := v.get("SubjectDomainName"), v.get("SubjectUserName")
	tdom, tuser := v.get("TargetDomainName"), v.get("TargetUserName")
	if suser != "" {
		w.set("SubjectAccount", winAccount(sdom, suser))
	}
	if tuser != "" {
		w.set("TargetAccount", winAccount(tdom, tuser))
	}
	dom, user := sdom, suser
	if (targetAccountEvent(id) || user == "" || user == "-") && tuser != "" && tuser != "-" {
		dom, user = tdom, tuser
	}
	if user != "" {
		w.set("Account", winAccount(dom, user))
		w.set("AccountName", user)
		w.str("AccountDomain", dom)
		if strings.HasSuffix(user, "$") {
			w.set("AccountType", "Machine")
		} else {
			w.set("AccountType", "User")
		}
	}
	if lt := v.get("LogonType"); lt != "" {
		if n, ok := winevent.LogonTypeNames[lt]; ok {
			w.set("LogonTypeName", lt+" - "+n)
		} else {
			w.set("LogonTypeName", lt)
		}
	}
	if p := v.get(sec4688Image); p != "" {
		w.set("Process", baseName(p))
	} else if p := v.get("ProcessName"); p != "" {
		w.set("Process", baseName(p))
	}
	var sb strings.Builder
	eventDataXML(&sb, v.event())
	w.set("EventData", sb.String())
}

// sysmonTitles are the task names Sysmon renders as the first line of each
// event's message ("Process Create:").
var sysmonTitles = map[uint32]string{
	1: "Process Create", 2: "File creation time changed", 3: "Network connection detected",
	4: "Sysmon service state changed", 5: "Process terminated", 6: "Driver loaded", 7: "Image loaded",
	8: "CreateRemoteThread detected", 9: "RawAccessRead detected", 10: "Process accessed",
	11: "File created", 12: "Registry object added or deleted", 13: "Registry value set",
	14: "Registry object renamed", 15: "File stream created", 16: "Sysmon config state changed",
	17: "Pipe Created", 18: "Pipe Connected", 19: "WmiEventFilter activity detected",
	20: "WmiEventConsumer activity detected", 21: "WmiEventConsumerToFilter activity detected",
	22: "Dns query", 23: "File Delete archived", 24: "Clipboard changed", 25: "Process Tampering",
	26: "File Delete logged", 27: "File Block Executable", 28: "File Block Shredding",
	29: "File Executable Detected", 255: "Error",
}

func levelName(l uint8) string {
	switch l {
	case 1, 2:
		return "Error"
	case 3:
		return "Warning"
	}
	return "Information"
}

// addEvent adds an Event row (the Log Analytics table of non-Security
// Windows events, Sysmon included). EventData is the XML string Sentinel
// queries parse with parse_xml(EventData).DataItem.EventData.Data.
func (b *Builder) addEvent(v *view, id uint32) {
	ev := v.event()
	w := b.newRow(b.evt, ev, v.time)
	w.set("TimeGenerated", timeCell(v.time))
	w.str("Computer", v.host())
	w.set("EventID", int64(id))
	w.set("EventLevel", int64(ev.Level))
	w.set("EventLevelName", levelName(ev.Level))
	w.str("EventLog", ev.Channel)
	src := ev.Provider
	if src == "" {
		src = v.get("Provider_Name")
	}
	w.str("Source", src)
	w.set("EventCategory", parseNum(v.get("Task")))
	user := "N/A"
	if sid := v.get("Security_UserID"); sid != "" {
		user = sid
		// The Log Analytics agent shows some well-known accounts by name.
		if a, ok := winevent.LookupAccount(sid); ok && a.UserName != "" {
			user = a.UserName
		}
	}
	w.set("UserName", user)
	w.set("SourceSystem", "OpsManager")
	w.set("Type", "Event")

	var sb strings.Builder
	sb.WriteString(`<DataItem type="System.XmlData" time="`)
	if !v.time.IsZero() {
		sb.WriteString(v.time.Format("2006-01-02T15:04:05.0000000Z07:00"))
	}
	sb.WriteString(`" sourceHealthServiceId="00000000-0000-0000-0000-000000000000">`)
	eventDataXML(&sb, ev)
	sb.WriteString(`</DataItem>`)
	w.set("EventData", sb.String())

	sb.Reset()
	for _, f := range ev.Fields {
		if !systemField(f.Name) {
			sb.WriteString("<Param>")
			xml.EscapeText(&sb, []byte(f.Value))
			sb.WriteString("</Param>")
		}
	}
	w.set("ParameterXml", sb.String())

	if title, ok := sysmonTitles[id]; ok && isSysmon(ev) {
		sb.Reset()
		sb.WriteString(title)
		sb.WriteString(":")
		for _, f := range ev.Fields {
			if !systemField(f.Name) {
				sb.WriteString(" ")
				sb.WriteString(f.Name)
				sb.WriteString(": ")
				sb.WriteString(f.Value)
			}
		}
		w.set("RenderedDescription", sb.String())
	}
}
