package schema

import (
	"strconv"
	"strings"
)

// subjectInitiating fills the Initiating* columns of a Security object
// access event from its Subject* fields and ProcessName/ProcessId.
func subjectInitiating(w row, v *view) {
	w.str("InitiatingProcessAccountDomain", v.get("SubjectDomainName"))
	w.str("InitiatingProcessAccountName", v.get("SubjectUserName"))
	w.str("InitiatingProcessAccountSid", v.get("SubjectUserSid"))
	p := v.get("ProcessName")
	w.str("InitiatingProcessFolderPath", p)
	w.str("InitiatingProcessFileName", baseName(p))
	w.set("InitiatingProcessId", parseNum(v.get("ProcessId")))
}

// fileAccessAction maps an object-access AccessMask to a Defender file
// action: DELETE (0x10000) is FileDeleted, WriteData/AppendData (0x2/0x4)
// FileModified; read-only access has no Defender equivalent ("").
func fileAccessAction(mask string) string {
	m, ok := parseNum(mask).(int64)
	if !ok {
		return ""
	}
	switch {
	case m&0x10000 != 0:
		return "FileDeleted"
	case m&0x6 != 0:
		return "FileModified"
	}
	return ""
}

// dfeSecurity adds a DeviceFileEvents row from Security 4663 (object
// access on a file) or 5145 (file share access); reads are skipped.
func (b *Builder) dfeSecurity(v *view, id uint32) {
	if id == 4663 && !strings.EqualFold(v.get("ObjectType"), "File") {
		return
	}
	action := fileAccessAction(v.get("AccessMask"))
	if action == "" {
		return
	}
	w := b.newRow(b.dfe, v.event(), v.time)
	b.device(w, v, v.event())
	w.set("ActionType", action)
	path := v.get("ObjectName")
	if id == 5145 {
		local := strings.TrimPrefix(v.get("ShareLocalPath"), `\??\`)
		rel := v.get("RelativeTargetName")
		path = strings.TrimSuffix(local, `\`)
		if rel != "" {
			path += `\` + rel
		}
		w.set("RequestProtocol", "SMB")
		w.str("RequestSourceIP", v.get("IpAddress"))
		w.set("RequestSourcePort", portCell(v.get("IpPort")))
		w.str("RequestAccountName", v.get("SubjectUserName"))
		w.str("RequestAccountDomain", v.get("SubjectDomainName"))
		w.str("RequestAccountSid", v.get("SubjectUserSid"))
		w.str("ShareName", v.get("ShareName"))
	}
	w.str("FolderPath", path)
	w.str("FileName", baseName(path))
	subjectInitiating(w, v)
}

// regValueTypes maps 4657 NewValueType message ids to Defender value types.
var regValueTypes = map[string]string{
	"%%1873": "String", "%%1874": "ExpandString", "%%1875": "Binary", "%%1876": "Dword",
	"%%1879": "MultiString", "%%1883": "Qword",
}

// reg4657 reads a Security 4657 event in Defender's terms.
func reg4657(v *view) regEvent {
	r := regEvent{key: regHive(v.get("ObjectName")), valueName: v.get("ObjectValueName"), valueData: v.get("NewValue")}
	switch strings.TrimSpace(v.get("OperationType")) {
	case "%%1904", "%%1905":
		r.action = "RegistryValueSet"
	case "%%1906":
		r.action = "RegistryValueDeleted"
	}
	r.valueType = regValueTypes[strings.TrimSpace(v.get("NewValueType"))]
	return r
}

// dreSecurity adds a DeviceRegistryEvents row from Security 4657.
func (b *Builder) dreSecurity(v *view) {
	r := reg4657(v)
	w := b.newRow(b.dre, v.event(), v.time)
	b.device(w, v, v.event())
	w.str("ActionType", r.action)
	w.str("RegistryKey", r.key)
	w.str("RegistryValueName", r.valueName)
	w.str("RegistryValueType", r.valueType)
	w.str("RegistryValueData", r.valueData)
	w.str("PreviousRegistryValueData", v.get("OldValue"))
	subjectInitiating(w, v)
}

// imrSecurity adds an imRegistry row from Security 4657.
func (b *Builder) imrSecurity(v *view) {
	r := reg4657(v)
	w := b.newRow(b.imr, v.event(), v.time)
	asimCommon(w, v, "Security Events", "RegistryEvent", "0.1.0", r.action, "4657")
	w.set("Type", "SecurityEvent")
	w.set("EventSeverity", "Informational")
	w.str("RegistryKey", r.key)
	w.str("RegistryValue", r.valueName)
	w.str("RegistryValueType", asimRegType(r.valueType))
	w.str("RegistryValueData", r.valueData)
	w.str("RegistryPreviousValueData", v.get("OldValue"))
	w.str("RegistryPreviousValueType", asimRegType(regValueTypes[strings.TrimSpace(v.get("OldValueType"))]))
	user := winAccount(v.get("SubjectDomainName"), v.get("SubjectUserName"))
	w.str("ActorUsername", user)
	w.str("User", user)
	w.set("ActorUsernameType", "Windows")
	if sid := v.get("SubjectUserSid"); sid != "" {
		w.set("ActorUserId", sid)
		w.set("ActorUserIdType", "SID")
	}
	w.str("ActorSessionId", v.get("SubjectLogonId"))
	p := v.get("ProcessName")
	w.str("ActingProcessName", p)
	w.str("Process", p)
	if n, ok := parseNum(v.get("ProcessId")).(int64); ok {
		w.set("ActingProcessId", strconv.FormatInt(n, 10))
	}
}
