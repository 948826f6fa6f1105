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
	// NewProcessUser is the user of 4688's new process as Sysmon names
	// it, "DOMAIN\user": NewProcessAccount's User, from the sources
	// listed in processAccountFields.
	NewProcessUser
	// NewProcessLogon is the logon session of 4688's new process:
	// NewProcessAccount's LogonID, from processAccountFields.
	NewProcessLogon
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

// processAccountFields are the 4688 fields NewProcessAccount reads, in
// the order of the sources of a NewProcessUser or NewProcessLogon field.
var processAccountFields = []string{
	Target4688.Domain, Target4688.User, Target4688.SID, Target4688.LogonID,
	Subject4688.Domain, Subject4688.User, Subject4688.SID, Subject4688.LogonID,
}

// ProcessAccount is the account a process runs as, and its logon session.
type ProcessAccount struct {
	Domain, Name, SID string
	// LogonID is the logon session id as the event writes it ("0x3e7").
	LogonID string
}

// User is "Domain\Name", or Name alone without a domain: Sysmon's User.
func (a ProcessAccount) User() string {
	if a.Domain == "" {
		return a.Name
	}
	return a.Domain + `\` + a.Name
}

// NewProcessAccount is the account Security 4688's new process runs as,
// read through get (which returns "" for an absent field). Sigma's User
// and LogonId of a 4688 and the KQL tables' DeviceProcessEvents account
// columns all come from it, so the two engines agree with each other and
// with the User and LogonId Sysmon 1 writes for the same process:
//   - the account is Target4688 (event version 2 on) when its user name is
//     set and not "-", otherwise Subject4688, the creator: a process that
//     runs as its creator has no target;
//   - the logon session is TargetLogonId when it is a non-zero number,
//     otherwise SubjectLogonId: like Sysmon's LogonId, it is the new
//     process's session, which only the target names when the two differ;
//   - an account whose logon session (or SID) is one of the well-known
//     ones (0x3e7, 0x3e4, 0x3e5; see Accounts) is named as Sysmon names
//     it, NT AUTHORITY\SYSTEM, NETWORK SERVICE or LOCAL SERVICE, with its
//     SID: services and the processes SYSTEM starts are created by the
//     machine account (WORKGROUP\HOST$) in session 0x3e7.
//
// A domain of "-" counts as none.
func NewProcessAccount(get func(string) string) ProcessAccount {
	acct := Target4688
	if u := get(Target4688.User); u == "" || u == "-" {
		acct = Subject4688
	}
	a := ProcessAccount{Domain: get(acct.Domain), Name: get(acct.User), SID: get(acct.SID)}
	if a.Domain == "-" {
		a.Domain = ""
	}
	a.LogonID = get(Target4688.LogonID)
	if n, ok := ParseNumber(a.LogonID); !ok || n == 0 {
		a.LogonID = get(Subject4688.LogonID)
	}
	known, ok := lookupLogonID(get(acct.LogonID))
	if !ok {
		known, ok = LookupAccount(strings.TrimSpace(a.SID))
		ok = ok && known.UserName != ""
	}
	if ok {
		a.Domain, a.Name, _ = strings.Cut(known.UserName, `\`)
		a.SID = known.SID
	}
	return a
}

// Security4688 gives Security event 4688 the names of Sysmon event 1, so
// that process_creation rules match both. User and LogonId are
// NewProcessAccount's, which the KQL tables read too. The KQL tables parse
// the process ids as numbers (ParseNumber) where Sigma keeps text
// (HexToDecimal): each engine's type, the same value.
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
		{Field: "User", From: processAccountFields, Convert: NewProcessUser},
		{Field: "LogonId", From: processAccountFields, Convert: NewProcessLogon},
	},
}

// DefenderAntivirus gives Windows Defender's detection events the names
// Sigma's antivirus category uses (SigmaHQ's THOR test mapping: Signature
// is ThreatName, Filename is Path). The event's "Threat Name" is
// ThreatName once normalised (DataName).
var DefenderAntivirus = Mapping{
	Name:    "windefend_antivirus",
	Channel: Defender,
	Fields: []FieldMap{
		{Field: "Signature", From: []string{"ThreatName"}},
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
	case NewProcessUser, NewProcessLogon:
		if len(src) != len(processAccountFields) {
			return "", false
		}
		a := NewProcessAccount(func(name string) string {
			for i, n := range processAccountFields {
				if n == name {
					return src[i]
				}
			}
			return ""
		})
		v := a.LogonID
		if f.Convert == NewProcessUser {
			v = a.User()
		}
		return v, v != ""
	}
	return src[0], true
}
