package winevent

import "sync"

// SystemField is a System value the parsers add next to an event's
// EventData fields (see parsers.Field).
type SystemField struct {
	Name string
	// KQLAsData says that the KQL tables render the field as an EventData
	// <Data> element (SecurityEvent.EventData, Event.ParameterXml) rather
	// than leaving it out as a System value. Only Provider_EventSourceName
	// does: the KQL schema's list of System values never had it, while
	// Sigma's field check counts it as one. A fidelity change will
	// reconcile the two.
	KQLAsData bool
	// Flat says that flat exports (FlatShape) provide the field, under
	// its name or a FlatAliases name.
	Flat bool
}

// SystemFields are the System values every event may have, as the parsers
// name them (Sigma's names). Flat marks those that flat exports provide
// too (see FlatAliases).
var SystemFields = []SystemField{
	{Name: "EventID", Flat: true}, {Name: "EventID_Qualifiers"}, {Name: "Channel", Flat: true},
	{Name: "Provider_Name", Flat: true}, {Name: "Provider_Guid", Flat: true},
	{Name: "Provider_EventSourceName", KQLAsData: true}, {Name: "Computer", Flat: true},
	{Name: "EventRecordID", Flat: true}, {Name: "Level"}, {Name: "Task", Flat: true}, {Name: "Opcode"},
	{Name: "Keywords"}, {Name: "Version", Flat: true}, {Name: "Security_UserID", Flat: true},
	{Name: "ProcessID", Flat: true}, {Name: "ThreadID", Flat: true}, {Name: "TimeCreated_SystemTime"},
	{Name: "Correlation_ActivityID"}, {Name: "Correlation_RelatedActivityID"},
}

// FlatShape names the flat, NXLog-style JSON exports in the field check's
// notes: one object per event, the System values under the collector's
// names (SourceName, Hostname, RecordNumber...) and the EventData fields
// at the top level.
const FlatShape = "flat JSON"

// FlatAlias is a System field and the names flat exports give it.
type FlatAlias struct {
	Field string
	Names []string
}

// FlatAliases are the System fields flat exports write under other names;
// parsers/json adds the System name to a flat event that has an alias but
// not the name, so that rules testing Provider_Name or Computer match.
// EventID, Channel, Task, Version, ProcessID and ThreadID have their own
// names there. Level (NXLog writes SeverityValue, on another scale),
// Keywords (a decimal number, not EVTX's 0x... mask), Opcode (its
// display name), TimeCreated_SystemTime (EventTime), EventID_Qualifiers,
// Provider_EventSourceName and the Correlation ids are not Flat: a rule
// testing them cannot match flat exports.
var FlatAliases = []FlatAlias{
	{Field: "Provider_Name", Names: []string{"SourceName", "ProviderName", "Provider"}},
	{Field: "Computer", Names: []string{"Hostname", "ComputerName"}},
	{Field: "EventRecordID", Names: []string{"RecordNumber", "RecordID"}},
	{Field: "Provider_Guid", Names: []string{"ProviderGuid"}},
	{Field: "Security_UserID", Names: []string{"UserID"}},
}

var systemIndex = sync.OnceValue(func() map[string]SystemField {
	m := make(map[string]SystemField, len(SystemFields))
	for _, f := range SystemFields {
		m[f.Name] = f
	}
	return m
})

// LookupSystemField returns the System field of that exact name.
func LookupSystemField(name string) (SystemField, bool) {
	f, ok := systemIndex()[name]
	return f, ok
}

// EventFields are the EventData field names of one event ID.
type EventFields struct {
	ID     uint32
	Fields []string
}

// Source is a channel whose events' fields are known.
type Source struct {
	Channel string
	Label   string // "Sysmon": a source's events are named "Sysmon 1"
	Events  []EventFields
}

// Sources lists the EventData fields of each event ID that Sigma's field
// check knows. Only these are checked: for any other channel or event ID
// the field set is unknown. The Security4688 mapping's target names are
// not listed under 4688; a consumer adds them from the mapping.
//
// Facts from Microsoft's Sysmon event schema (the EventData names of each
// Sysmon event ID across Sysmon versions: an older or newer schema's field
// is listed so that it is not reported) and the Security 4688 event
// documentation, checked against decoded events of the shared corpus.
var Sources = []Source{
	{Channel: Sysmon, Label: "Sysmon", Events: []EventFields{
		{1, []string{"RuleName", "UtcTime", "ProcessGuid", "ProcessId", "Image", "FileVersion", "Description", "Product", "Company", "OriginalFileName", "CommandLine", "CurrentDirectory", "User", "LogonGuid", "LogonId", "TerminalSessionId", "IntegrityLevel", "Hashes", "ParentProcessGuid", "ParentProcessId", "ParentImage", "ParentCommandLine", "ParentUser"}},
		{2, []string{"RuleName", "UtcTime", "ProcessGuid", "ProcessId", "Image", "TargetFilename", "CreationUtcTime", "PreviousCreationUtcTime", "User"}},
		{3, []string{"RuleName", "UtcTime", "ProcessGuid", "ProcessId", "Image", "User", "Protocol", "Initiated", "SourceIsIpv6", "SourceIp", "SourceHostname", "SourcePort", "SourcePortName", "DestinationIsIpv6", "DestinationIp", "DestinationHostname", "DestinationPort", "DestinationPortName"}},
		{4, []string{"UtcTime", "State", "Version", "SchemaVersion"}},
		{5, []string{"RuleName", "UtcTime", "ProcessGuid", "ProcessId", "Image", "User"}},
		{6, []string{"RuleName", "UtcTime", "ImageLoaded", "Hashes", "Signed", "Signature", "SignatureStatus"}},
		{7, []string{"RuleName", "UtcTime", "ProcessGuid", "ProcessId", "Image", "ImageLoaded", "FileVersion", "Description", "Product", "Company", "OriginalFileName", "Hashes", "Signed", "Signature", "SignatureStatus", "User"}},
		{8, []string{"RuleName", "UtcTime", "SourceProcessGuid", "SourceProcessId", "SourceImage", "TargetProcessGuid", "TargetProcessId", "TargetImage", "NewThreadId", "StartAddress", "StartModule", "StartFunction", "SourceUser", "TargetUser"}},
		{9, []string{"RuleName", "UtcTime", "ProcessGuid", "ProcessId", "Image", "Device", "User"}},
		{10, []string{"RuleName", "UtcTime", "SourceProcessGUID", "SourceProcessId", "SourceThreadId", "SourceImage", "TargetProcessGUID", "TargetProcessId", "TargetImage", "GrantedAccess", "CallTrace", "SourceUser", "TargetUser"}},
		{11, []string{"RuleName", "UtcTime", "ProcessGuid", "ProcessId", "Image", "TargetFilename", "CreationUtcTime", "User"}},
		{12, []string{"RuleName", "EventType", "UtcTime", "ProcessGuid", "ProcessId", "Image", "TargetObject", "User"}},
		{13, []string{"RuleName", "EventType", "UtcTime", "ProcessGuid", "ProcessId", "Image", "TargetObject", "Details", "User"}},
		{14, []string{"RuleName", "EventType", "UtcTime", "ProcessGuid", "ProcessId", "Image", "TargetObject", "NewName", "User"}},
		{15, []string{"RuleName", "UtcTime", "ProcessGuid", "ProcessId", "Image", "TargetFilename", "CreationUtcTime", "Hash", "Contents", "User"}},
		{16, []string{"UtcTime", "Configuration", "ConfigurationFileHash"}},
		{17, []string{"RuleName", "EventType", "UtcTime", "ProcessGuid", "ProcessId", "PipeName", "Image", "User"}},
		{18, []string{"RuleName", "EventType", "UtcTime", "ProcessGuid", "ProcessId", "PipeName", "Image", "User"}},
		{19, []string{"RuleName", "EventType", "UtcTime", "Operation", "User", "EventNamespace", "Name", "Query"}},
		{20, []string{"RuleName", "EventType", "UtcTime", "Operation", "User", "Name", "Type", "Destination"}},
		{21, []string{"RuleName", "EventType", "UtcTime", "Operation", "User", "Consumer", "Filter"}},
		{22, []string{"RuleName", "UtcTime", "ProcessGuid", "ProcessId", "QueryName", "QueryStatus", "QueryResults", "Image", "User"}},
		{23, []string{"RuleName", "UtcTime", "ProcessGuid", "ProcessId", "User", "Image", "TargetFilename", "Hashes", "IsExecutable", "Archived"}},
		{24, []string{"RuleName", "UtcTime", "ProcessGuid", "ProcessId", "Image", "Session", "ClientInfo", "Hashes", "Archived", "User"}},
		{25, []string{"RuleName", "UtcTime", "ProcessGuid", "ProcessId", "Image", "Type", "User"}},
		{26, []string{"RuleName", "UtcTime", "ProcessGuid", "ProcessId", "User", "Image", "TargetFilename", "Hashes", "IsExecutable"}},
		{27, []string{"RuleName", "UtcTime", "ProcessGuid", "ProcessId", "User", "Image", "TargetFilename", "Hashes"}},
		{28, []string{"RuleName", "UtcTime", "ProcessGuid", "ProcessId", "User", "Image", "TargetFilename", "Hashes", "IsExecutable"}},
		{29, []string{"RuleName", "UtcTime", "ProcessGuid", "ProcessId", "User", "Image", "TargetFilename", "Hashes"}},
		{255, []string{"UtcTime", "ID", "Description"}},
	}},
	{Channel: Security, Label: "Security", Events: []EventFields{
		// Version 2 of the event (Windows 10 / Server 2016 on); versions 0
		// and 1 have a subset.
		{4688, []string{"SubjectUserSid", "SubjectUserName", "SubjectDomainName", "SubjectLogonId", "NewProcessId", "NewProcessName", "TokenElevationType", "ProcessId", "CommandLine", "TargetUserSid", "TargetUserName", "TargetDomainName", "TargetLogonId", "ParentProcessName", "MandatoryLabel"}},
	}},
	{Channel: PowerShell, Label: "PowerShell", Events: []EventFields{
		{4103, []string{"ContextInfo", "UserData", "Payload"}},
		{4104, []string{"MessageNumber", "MessageTotal", "ScriptBlockText", "ScriptBlockId", "Path"}},
	}},
	{Channel: PowerShellCore, Label: "PowerShellCore", Events: []EventFields{
		{4103, []string{"ContextInfo", "UserData", "Payload"}},
		{4104, []string{"MessageNumber", "MessageTotal", "ScriptBlockText", "ScriptBlockId", "Path"}},
	}},
}

// KeyFields are shown in a hit's details, in this order, when the event (or
// KQL result row) has them, after the fields the rule matched on.
var KeyFields = []string{
	"Image", "NewProcessName", "CommandLine", "ParentImage", "ParentProcessName", "User",
	"SubjectUserName", "TargetUserName", "DestinationHostname", "DestinationIp", "DestinationPort",
	"TargetFilename", "TargetObject", "QueryName", "ImageLoaded", "ServiceName", "ScriptBlockText",
	// KQL result columns (Defender and ASIM tables)
	"FolderPath", "ProcessCommandLine", "AccountDomain", "AccountName", "InitiatingProcessFolderPath",
	"InitiatingProcessCommandLine", "RemoteUrl", "RemoteIP", "RemotePort", "SrcProcessName",
	"DstProcessName", "DstHostname", "DstIpAddr", "DstPortNumber", "TargetProcessName",
	"TargetProcessCommandLine", "ActorUsername", "RegistryKey", "RegistryValueName",
}

// CoreColumn names the core event value a KQL result column carries.
type CoreColumn uint8

const (
	NotCore      CoreColumn = iota
	CoreTime                // the event's time
	CoreComputer            // the host name
	CoreEventID             // the event ID
	CoreRecordID            // the record ID
)

// CoreColumnOf says which core event value a KQL result column of that
// name carries, so that a hit made from a result row shows it like an
// event's: Defender's Timestamp and DeviceName, Sentinel's TimeGenerated
// and Computer, ASIM's EventStartTime, Dvc and EventOriginalUid.
func CoreColumnOf(name string) CoreColumn {
	switch name {
	case "Timestamp", "TimeGenerated", "EventStartTime", "TimeCreated":
		return CoreTime
	case "DeviceName", "Computer", "DvcHostname", "Dvc":
		return CoreComputer
	case "EventID", "EventOriginalType":
		return CoreEventID
	case "ReportId", "EventRecordID", "EventOriginalUid":
		return CoreRecordID
	}
	return NotCore
}
