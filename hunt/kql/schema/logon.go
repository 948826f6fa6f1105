package schema

import (
	"strconv"
	"strings"

	"github.com/loghunt/loghunt/parsers/winevent"
)

// deviceLogonEvent reports whether a Security event becomes a
// DeviceLogonEvents row.
func deviceLogonEvent(id uint32) bool {
	switch id {
	case 4624, 4625, 4634, 4647, 4648:
		return true
	}
	return false
}

// identityLogonEvent reports whether a Security event becomes an
// IdentityLogonEvents row: the domain controller's Kerberos ticket events
// and its NTLM credential validation.
func identityLogonEvent(id uint32) bool {
	return id == 4768 || id == 4769 || id == 4776
}

// dash2empty maps the "-" Windows writes for an absent value to "".
func dash2empty(s string) string {
	if strings.TrimSpace(s) == "-" {
		return ""
	}
	return s
}

// sidOrEmpty drops the NULL SID that failed logons carry.
func sidOrEmpty(s string) string {
	if s == winevent.NullSID || s == "-" {
		return ""
	}
	return s
}

// remoteIP reads a logon event's IpAddress: "-" is none, and an
// IPv4-mapped IPv6 address ("::ffff:10.0.0.5") is the IPv4 address.
func remoteIP(s string) string {
	s = dash2empty(strings.TrimSpace(s))
	if len(s) > 7 && strings.EqualFold(s[:7], "::ffff:") && strings.Count(s, ".") == 3 {
		return s[7:]
	}
	return s
}

// logonActions maps the logon events to DeviceLogonEvents.ActionType:
// Defender's documented values are LogonSuccess, LogonFailed and
// LogonAttempted; 4648 (a logon attempted with explicit credentials) is a
// LogonAttempted. Defender records no logoffs: 4634 and 4647 become
// Logoff, a loghunt value outside Defender's list, so a query that filters
// on Defender's values never sees them.
var logonActions = map[uint32]string{
	4624: "LogonSuccess", 4625: "LogonFailed", 4648: "LogonAttempted", 4634: "Logoff", 4647: "Logoff",
}

// dleSecurity adds a DeviceLogonEvents row from Security 4624, 4625,
// 4634, 4647 or 4648.
func (b *Builder) dleSecurity(v *view, id uint32) {
	w := b.newRow(b.dle, v.event(), v.time)
	b.device(w, v, v.event())
	w.set("ActionType", logonActions[id])
	if lt := strings.TrimSpace(v.get("LogonType")); lt != "" {
		if n, ok := winevent.LogonTypeNames[lt]; ok {
			w.set("LogonType", n)
		} else {
			w.set("LogonType", lt)
		}
	}
	// The account logged on (or off, or whose credentials were used) is
	// the target; the subject is the account of the process that asked.
	w.str("AccountDomain", dash2empty(v.get("TargetDomainName")))
	w.str("AccountName", dash2empty(v.get("TargetUserName")))
	w.str("AccountSid", sidOrEmpty(v.get("TargetUserSid")))
	if id != 4648 {
		w.set("LogonId", parseNum(v.get("TargetLogonId")))
	}
	w.str("Protocol", strings.TrimSpace(dash2empty(v.get("AuthenticationPackageName"))))
	if id == 4625 {
		w.str("FailureReason", winevent.LogonFailureReason(v.get("Status"), v.get("SubStatus")))
	}
	rip := remoteIP(v.get("IpAddress"))
	w.str("RemoteIP", rip)
	w.str("RemoteIPType", ipType(rip))
	if p, ok := portCell(v.get("IpPort")).(int64); ok && p > 0 {
		w.set("RemotePort", p)
	}
	remote := dash2empty(v.get("WorkstationName"))
	if id == 4648 {
		remote = dash2empty(v.get("TargetServerName"))
	}
	w.str("RemoteDeviceName", remote)
	w.str("InitiatingProcessAccountDomain", dash2empty(v.get("SubjectDomainName")))
	w.str("InitiatingProcessAccountName", dash2empty(v.get("SubjectUserName")))
	w.str("InitiatingProcessAccountSid", sidOrEmpty(v.get("SubjectUserSid")))
	w.set("InitiatingProcessLogonId", parseNum(v.get("SubjectLogonId")))
	if p := dash2empty(v.get("ProcessName")); p != "" {
		w.str("InitiatingProcessFolderPath", p)
		w.str("InitiatingProcessFileName", baseName(p))
	}
	if n, ok := parseNum(v.get("ProcessId")).(int64); ok && n != 0 {
		w.set("InitiatingProcessId", n)
	}
	w.str("AdditionalFields", jsonBag(v, "LogonProcessName", "AuthenticationPackageName", "LmPackageName",
		"KeyLength", "ElevatedToken", "TargetLogonGuid", "TargetInfo", "Status", "SubStatus"))
}

// ileSecurity adds an IdentityLogonEvents row from a domain controller's
// 4768 (Kerberos TGT), 4769 (Kerberos service ticket) or 4776 (NTLM
// credential validation). The DC is the destination; the client is known
// by address for Kerberos and by name for NTLM. 4776 is also logged by
// member machines validating local accounts: nothing in the event tells
// them apart, so every 4776 becomes a row.
func (b *Builder) ileSecurity(v *view, id uint32) {
	w := b.newRow(b.ile, v.event(), v.time)
	w.set("Timestamp", timeCell(v.time))
	w.set("TimeGenerated", timeCell(v.time))
	w.set("Type", "IdentityLogonEvents")
	w.set("Application", "Active Directory")
	if v.event().RecordID != 0 {
		w.set("ReportId", strconv.FormatUint(v.event().RecordID, 10))
	}
	w.str("DestinationDeviceName", strings.ToLower(v.host()))
	status := v.get("Status")
	ok := winevent.LogonSucceeded(status)
	if ok {
		w.set("ActionType", "LogonSuccess")
	} else {
		w.set("ActionType", "LogonFailed")
	}
	user := dash2empty(v.get("TargetUserName"))
	if name, _, found := strings.Cut(user, "@"); found {
		w.str("AccountUpn", strings.ToLower(user))
		user = name
	}
	w.str("AccountName", user)
	w.str("AccountDomain", dash2empty(v.get("TargetDomainName")))
	add := map[string]any{}
	put := func(k, val string) {
		if val = dash2empty(val); val != "" {
			add[k] = val
		}
	}
	switch id {
	case 4768, 4769:
		w.set("Protocol", "Kerberos")
		if id == 4768 {
			w.set("LogonType", "Credentials validation")
			w.str("AccountSid", sidOrEmpty(v.get("TargetSid")))
		} else {
			w.set("LogonType", "Resource access")
		}
		if !ok {
			w.str("FailureReason", winevent.KerberosFailureReason(status))
		}
		w.str("IPAddress", remoteIP(v.get("IpAddress")))
		if p, ok := portCell(v.get("IpPort")).(int64); ok && p > 0 {
			w.set("Port", strconv.FormatInt(p, 10))
		}
		put("ServiceName", v.get("ServiceName"))
		put("TicketEncryptionType", v.get("TicketEncryptionType"))
		put("TicketOptions", v.get("TicketOptions"))
		put("PreAuthType", v.get("PreAuthType"))
	case 4776:
		w.set("Protocol", "Ntlm")
		w.set("LogonType", "Credentials validation")
		if !ok {
			w.str("FailureReason", winevent.LogonFailureReason(status, ""))
		}
		w.str("DeviceName", dash2empty(v.get("Workstation")))
		put("PackageName", v.get("PackageName"))
	}
	put("Status", status)
	w.set("AdditionalFields", add)
}
