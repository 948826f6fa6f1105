package winevent

import "strings"

// Conversion is how a mapped field's value is computed from its sources.
type Conversion uint8

const (
	// Copy takes the first source's value as it is.
	Copy Conversion = iota
	// Hex turns the first source's 0x-prefixed hexadecimal number into
	// decimal (see HexToDecimal).
	Hex
	// Integrity names the first source's mandatory label SID as Sysmon's
	// IntegrityLevel does (MandatoryLabel.Sysmon); an unknown SID is kept.
	Integrity
	// Join joins the non-empty source values with Sep.
	Join
)

// FieldMap computes one field of a mapping's target from fields of the
// event.
type FieldMap struct {
	Field   string   // the name rules use
	From    []string // the event's fields, in the order Convert reads them
	Convert Conversion
	Sep     string // for Join
}

// Mapping is a set of fields computed for the events of one channel and
// event ID, so that rules written for another source match them.
type Mapping struct {
	Name    string // as hunt/sigma's logsources.yml refers to it
	Channel string
	EventID uint32
	Fields  []FieldMap
}

// Account4688 names the fields of one of the two accounts Security 4688
// records.
type Account4688 struct {
	Domain, User, SID, LogonID string
}

var (
	// Subject4688 is the account that created the process.
	Subject4688 = Account4688{Domain: "SubjectDomainName", User: "SubjectUserName", SID: "SubjectUserSid", LogonID: "SubjectLogonId"}
	// Target4688 is the account the new process runs as (event version 2,
	// Windows 10 and Server 2016 on). Its user name is "-" or absent when
	// the process runs as its creator; the KQL tables then fall back to
	// Subject4688, and name a well-known SID (Account.ASIM) for ASIM.
	Target4688 = Account4688{Domain: "TargetDomainName", User: "TargetUserName", SID: "TargetUserSid", LogonID: "TargetLogonId"}
)

// Security4688 gives Security event 4688 the names of Sysmon event 1, so
// that process_creation rules match both.
//
// User differs between consumers. Sigma computes it as below, from
// Subject4688 (the creator). The KQL tables (DeviceProcessEvents
// AccountName, imProcessCreate TargetUsername) read Target4688 and fall
// back to Subject4688, and they parse the process ids as numbers
// (ParseNumber) where Sigma keeps text (HexToDecimal). A fidelity change
// will reconcile them.
var Security4688 = Mapping{
	Name:    "security_4688",
	Channel: Security,
	EventID: 4688,
	Fields: []FieldMap{
		{Field: "Image", From: []string{"NewProcessName"}},
		{Field: "ParentImage", From: []string{"ParentProcessName"}},
		{Field: "ProcessId", From: []string{"NewProcessId"}, Convert: Hex},
		{Field: "ParentProcessId", From: []string{"ProcessId"}, Convert: Hex},
		{Field: "IntegrityLevel", From: []string{"MandatoryLabel"}, Convert: Integrity},
		{Field: "User", From: []string{Subject4688.Domain, Subject4688.User}, Convert: Join, Sep: `\`},
	},
}

// DefenderAntivirus gives Windows Defender's detection events the names
// Sigma's antivirus category uses. It is loghunt's only field-name
// normalisation: the event's "Threat Name" has a space, the rule field
// none.
var DefenderAntivirus = Mapping{
	Name:    "windefend_antivirus",
	Channel: Defender,
	Fields: []FieldMap{
		{Field: "Signature", From: []string{"Threat Name"}},
		{Field: "Filename", From: []string{"Path"}},
	},
}

// Mappings lists every mapping.
var Mappings = []*Mapping{&Security4688, &DefenderAntivirus}

// From returns the first source field of the mapped field named field, or
// "" when the mapping has none: Security4688.From("Image") is
// "NewProcessName".
func (m *Mapping) From(field string) string {
	for _, f := range m.Fields {
		if f.Field == field && len(f.From) > 0 {
			return f.From[0]
		}
	}
	return ""
}

// Apply computes the field from the source values, one per From name (""
// for an absent field). ok is false when there is no value: the first
// source is blank for Hex, or every source is empty for Join.
func (f *FieldMap) Apply(src []string) (string, bool) {
	switch f.Convert {
	case Hex:
		s := strings.TrimSpace(src[0])
		if s == "" {
			return "", false
		}
		return HexToDecimal(s), true
	case Integrity:
		if l, ok := LookupLabel(strings.TrimSpace(src[0])); ok {
			return l.Sysmon, true
		}
		return src[0], src[0] != ""
	case Join:
		var parts []string
		for _, s := range src {
			if s != "" {
				parts = append(parts, s)
			}
		}
		return strings.Join(parts, f.Sep), len(parts) > 0
	}
	return src[0], true
}
