package winevent

import "strings"

// Facts of the Security logon and account-logon events (4624, 4625, 4634,
// 4647, 4648, 4768, 4769, 4776), of the Windows Filtering Platform events
// and of the System log, as Microsoft's event documentation describes them.

const (
	// SystemLog is the System channel, where the Service Control Manager
	// writes 7045 (a service was installed).
	SystemLog = "System"
	// ServiceControlManager is the provider of the System log's service
	// events.
	ServiceControlManager = "Service Control Manager"
)

// LogonTypeNames names the LogonType numbers of 4624, 4625 and 4634 the way
// Defender's DeviceLogonEvents.LogonType (and, with the number in front,
// SecurityEvent.LogonTypeName) shows them.
var LogonTypeNames = map[string]string{
	"0": "System", "2": "Interactive", "3": "Network", "4": "Batch", "5": "Service", "7": "Unlock",
	"8": "NetworkCleartext", "9": "NewCredentials", "10": "RemoteInteractive", "11": "CachedInteractive",
	"12": "CachedRemoteInteractive", "13": "CachedUnlock",
}

// ntStatusReasons names the NTSTATUS codes that 4625's Status and SubStatus
// and 4776's Status carry (Microsoft's 4625 and 4776 documentation), keyed
// by lower-case hex.
var ntStatusReasons = map[string]string{
	"0xc0000064": "UnknownUser",
	"0xc000006a": "WrongPassword",
	"0xc000006d": "InvalidUserNameOrPassword",
	"0xc000006e": "AccountRestriction",
	"0xc000006f": "InvalidLogonHours",
	"0xc0000070": "InvalidWorkstation",
	"0xc0000071": "PasswordExpired",
	"0xc0000072": "AccountDisabled",
	"0xc000005e": "NoLogonServers",
	"0xc0000133": "ClockSkew",
	"0xc000015b": "LogonTypeNotGranted",
	"0xc000018c": "TrustedDomainFailure",
	"0xc0000192": "NetlogonNotStarted",
	"0xc0000193": "AccountExpired",
	"0xc0000224": "PasswordMustChange",
	"0xc0000234": "AccountLocked",
	"0xc0000371": "NoSecretInLocalAccountStore",
	"0xc0000413": "AuthenticationFirewallFailed",
}

// LogonFailureReason names why a logon failed from the Status and SubStatus
// NTSTATUS codes of 4625 (or the Status of 4776): the SubStatus when it is
// a known code (the generic 0xC000006D "logon failure" Status is explained
// by its SubStatus), else the Status. A code it does not know is returned
// as written, lower-cased; success ("0x0") and no code give "".
func LogonFailureReason(status, subStatus string) string {
	for _, c := range []string{subStatus, status} {
		c = strings.ToLower(strings.TrimSpace(c))
		if r, ok := ntStatusReasons[c]; ok {
			return r
		}
	}
	s := strings.ToLower(strings.TrimSpace(status))
	if s == "" || s == "-" || isZeroCode(s) {
		return ""
	}
	return s
}

// kerberosReasons names the Kerberos result codes of 4768 and 4769
// (RFC 4120 section 7.5.9, as Microsoft's 4768 documentation lists them).
var kerberosReasons = map[uint64]string{
	0x6:  "UnknownUser",                // KDC_ERR_C_PRINCIPAL_UNKNOWN
	0x7:  "UnknownService",             // KDC_ERR_S_PRINCIPAL_UNKNOWN
	0xc:  "PolicyRestriction",          // KDC_ERR_POLICY (logon hours, workstation)
	0xe:  "EncryptionTypeNotSupported", // KDC_ERR_ETYPE_NOSUPP
	0x12: "AccountDisabled",            // KDC_ERR_CLIENT_REVOKED: disabled, expired or locked
	0x17: "PasswordExpired",            // KDC_ERR_KEY_EXPIRED
	0x18: "WrongPassword",              // KDC_ERR_PREAUTH_FAILED
	0x19: "PreAuthenticationRequired",  // KDC_ERR_PREAUTH_REQUIRED
	0x20: "TicketExpired",              // KRB_AP_ERR_TKT_EXPIRED
	0x25: "ClockSkew",                  // KRB_AP_ERR_SKEW
}

// KerberosFailureReason names a 4768/4769 Status ("0x18"); success ("0x0")
// and no code give "", an unknown code is returned as written, lower-cased.
func KerberosFailureReason(status string) string {
	s := strings.ToLower(strings.TrimSpace(status))
	if s == "" || s == "-" || isZeroCode(s) {
		return ""
	}
	if n, ok := ParseNumber(s); ok {
		if r, ok := kerberosReasons[uint64(n)]; ok {
			return r
		}
	}
	return s
}

// LogonSucceeded reports whether a 4768, 4769 or 4776 Status is success.
func LogonSucceeded(status string) bool {
	return isZeroCode(strings.ToLower(strings.TrimSpace(status)))
}

func isZeroCode(s string) bool {
	n, ok := ParseNumber(s)
	return ok && n == 0
}

// WFPProcessID names the EventData field with the process id of a Windows
// Filtering Platform event: 5152, 5153, 5156 and 5157 write "ProcessID",
// the very name the parsers give the System block's process id (the event
// log service's, usually 4), so the EventData value is the later one;
// 5154, 5155, 5158 and 5159 write "ProcessId".
func WFPProcessID(id uint32) string {
	switch id {
	case 5154, 5155, 5158, 5159:
		return "ProcessId"
	}
	return "ProcessID"
}
