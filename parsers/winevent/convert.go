package winevent

import (
	"strconv"
	"strings"
)

// ParseNumber reads a decimal or 0x-prefixed hexadecimal integer, as
// Windows writes process and logon ids ("0x1a4" is 420), after trimming
// white space. A hexadecimal value above the int64 range wraps around, as
// a 64-bit id does in KQL's long. ok is false when s is not a number.
// The KQL tables use it; compare HexToDecimal.
func ParseNumber(s string) (n int64, ok bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, false
	}
	var v uint64
	var err error
	if len(s) > 2 && (s[:2] == "0x" || s[:2] == "0X") {
		v, err = strconv.ParseUint(s[2:], 16, 64)
	} else {
		var i int64
		i, err = strconv.ParseInt(s, 10, 64)
		v = uint64(i)
	}
	if err != nil {
		return 0, false
	}
	return int64(v), true
}

// HexToDecimal renders a 0x-prefixed hexadecimal number in decimal, as
// Sysmon writes ids ("0x1a4" becomes "420", up to 2^64-1). Anything else,
// a decimal number included, is returned unchanged: Sigma's process_creation
// mapping keeps a value it cannot convert as written. Compare ParseNumber.
func HexToDecimal(s string) string {
	if !strings.HasPrefix(s, "0x") && !strings.HasPrefix(s, "0X") {
		return s
	}
	v, err := strconv.ParseUint(s[2:], 16, 64)
	if err != nil {
		return s
	}
	return strconv.FormatUint(v, 10)
}

// MandatoryLabel is an integrity level SID (4688's MandatoryLabel) and the
// names three consumers give it.
type MandatoryLabel struct {
	SID string
	// Sysmon is Sysmon's IntegrityLevel name, which Sigma's 4688 mapping
	// produces.
	Sysmon string
	// Defender is DeviceProcessEvents.ProcessIntegrityLevel: Medium Plus
	// is "Medium", and the Secure Process level has no name ("").
	Defender string
	// ASIM is imProcessCreate.TargetProcessIntegrityLevel, from the ASIM
	// 4688 parser's lookup table; it has no Secure Process entry ("").
	ASIM string
}

// MandatoryLabels lists the integrity level SIDs (S-1-16-<RID>).
var MandatoryLabels = []MandatoryLabel{
	{SID: "S-1-16-0", Sysmon: "Untrusted", Defender: "Untrusted", ASIM: "Untrusted"},
	{SID: "S-1-16-4096", Sysmon: "Low", Defender: "Low", ASIM: "Low integrity"},
	{SID: "S-1-16-8192", Sysmon: "Medium", Defender: "Medium", ASIM: "Medium integrity"},
	{SID: "S-1-16-8448", Sysmon: "Medium Plus", Defender: "Medium", ASIM: "Medium high integrity"},
	{SID: "S-1-16-12288", Sysmon: "High", Defender: "High", ASIM: "High integrity"},
	{SID: "S-1-16-16384", Sysmon: "System", Defender: "System", ASIM: "System integrity"},
	{SID: "S-1-16-20480", Sysmon: "Protected Process", Defender: "Protected", ASIM: "Protected process"},
	{SID: "S-1-16-28672", Sysmon: "Secure Process"},
}

// LookupLabel returns the mandatory label of a SID, compared after
// upper-casing ("s-1-16-12288" is High); white space is not trimmed.
func LookupLabel(sid string) (MandatoryLabel, bool) {
	sid = strings.ToUpper(sid)
	for _, l := range MandatoryLabels {
		if l.SID == sid {
			return l, true
		}
	}
	return MandatoryLabel{}, false
}

// NullSID is the SID of no account, which 4688 writes as TargetUserSid
// when the new process runs as its creator, and the firewall events
// (5152-5159) as RemoteUserID and RemoteMachineID when there is none.
const NullSID = "S-1-0-0"

// Account is a well-known account SID and the names two consumers show.
type Account struct {
	SID string
	// LogonID is the account's fixed logon session id, as Windows writes
	// it in SubjectLogonId and TargetLogonId (0x3e7 is SYSTEM's), or 0.
	LogonID int64
	// ASIM is the name the ASIM 4688 parser gives the account when the
	// event's user name is "-" (imProcessCreate TargetUsername,
	// ActorUsername).
	ASIM string
	// UserName is how the Log Analytics agent shows the account in
	// Event.UserName; "" where it shows the SID.
	UserName string
}

// Accounts lists the well-known accounts.
var Accounts = []Account{
	{SID: NullSID, ASIM: "Nobody"},
	{SID: "S-1-5-18", LogonID: 0x3e7, ASIM: "Local System", UserName: `NT AUTHORITY\SYSTEM`},
	{SID: "S-1-5-19", LogonID: 0x3e5, ASIM: "Local Service", UserName: `NT AUTHORITY\LOCAL SERVICE`},
	{SID: "S-1-5-20", LogonID: 0x3e4, ASIM: "Network Service", UserName: `NT AUTHORITY\NETWORK SERVICE`},
}

// LookupAccount returns the well-known account of exactly that SID.
func LookupAccount(sid string) (Account, bool) {
	for _, a := range Accounts {
		if a.SID == sid {
			return a, true
		}
	}
	return Account{}, false
}

// lookupLogonID returns the well-known account whose fixed logon session
// id is the number s (decimal or 0x-hexadecimal).
func lookupLogonID(s string) (Account, bool) {
	n, ok := ParseNumber(s)
	if !ok || n == 0 {
		return Account{}, false
	}
	for _, a := range Accounts {
		if a.LogonID == n {
			return a, true
		}
	}
	return Account{}, false
}

// TokenElevation names a 4688 TokenElevationType message id ("%%1937" is
// TokenElevationTypeFull), after trimming white space; any other value is
// returned as given.
func TokenElevation(s string) string {
	switch strings.TrimSpace(s) {
	case "%%1936":
		return "TokenElevationTypeDefault"
	case "%%1937":
		return "TokenElevationTypeFull"
	case "%%1938":
		return "TokenElevationTypeLimited"
	}
	return s
}
