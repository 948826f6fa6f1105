package schema

import (
	"testing"
	"time"

	"github.com/loghunt/loghunt/parsers/winevent"
)

// TestIdentityQueryEvents: one row per query a domain controller logged,
// with the values Defender for Identity's columns document, computed by
// hand from the events below.
func TestIdentityQueryEvents(t *testing.T) {
	at := time.Date(2024, 5, 1, 9, 0, 0, 0, time.UTC)
	// A flat export: the rendered message, one line per label.
	flat := other(winevent.DirectoryService, "Microsoft-Windows-ActiveDirectory_DomainService", 1644, 11, at,
		"Message", "Client: 10.0.0.23:50123\nStarting node: DC=corp,DC=local\nFilter: (&(objectCategory=user)(servicePrincipalName=*))\nSearch scope: subtree\nUser: CORP\\alice", "Security_UserID", "S-1-5-21-1-2-3-1104")
	// EVTX: the unnamed Data elements only.
	evtx := other(winevent.DirectoryService, "Microsoft-Windows-ActiveDirectory_DomainService", 1644, 12, at.Add(time.Second),
		"Data", "DC=corp,DC=local", "Data", "(sAMAccountName=bob)", "Data", "base", "Data", "[all]", "Data", "", "Data", "1", "Data", "1", "Data", "[fe80::1%5]:50200")
	notLDAP := other(winevent.DirectoryService, "", 1644, 13, at.Add(2*time.Second), "Data", "a", "Data", "b", "Data", "c")
	samUser := security(4661, 14, at.Add(3*time.Second), "ObjectServer", "Security Account Manager", "ObjectType", "SAM_USER",
		"ObjectName", "S-1-5-21-1-2-3-500", "SubjectUserName", "alice", "SubjectDomainName", "CORP", "SubjectUserSid", "S-1-5-21-1-2-3-1104", "AccessMask", "0x20044")
	samDomain := security(4661, 15, at.Add(4*time.Second), "ObjectServer", "Security Account Manager", "ObjectType", "SAM_DOMAIN", "ObjectName", "DC=corp")
	file := security(4661, 16, at.Add(5*time.Second), "ObjectServer", "Security", "ObjectType", "File", "ObjectName", `C:\x`)
	dns := other(winevent.DNSServerAnalytic, "Microsoft-Windows-DNSServer", 256, 17, at.Add(6*time.Second),
		"TCP", "0", "InterfaceIP", "10.0.0.1", "Source", "10.0.0.23", "RD", "1", "QNAME", "abcdefghij1234567890.api.east.example.com.", "QTYPE", "28", "XID", "123", "Port", "53001")
	c := build(t, []string{"IdentityQueryEvents"}, flat, evtx, notLDAP, samUser, samDomain, file, dns)
	tb, _ := c.Table("IdentityQueryEvents", nil)
	if len(tb.Rows) != 4 {
		t.Fatalf("%d rows, want 4 (two LDAP, one SAMR, one DNS)", len(tb.Rows))
	}
	want := []map[string]any{
		{"ActionType": "LDAP query", "Protocol": "Ldap", "Application": "Active Directory",
			"Query":     "Search Scope: subtree, Base Object:DC=corp,DC=local, Search Filter: (&(objectCategory=user)(servicePrincipalName=*))",
			"IPAddress": "10.0.0.23", "Port": int64(50123), "AccountName": "alice", "AccountDomain": "CORP", "AccountSid": "S-1-5-21-1-2-3-1104",
			"DestinationDeviceName": "ws01.corp.local", "ReportId": "11", "Timestamp": at},
		{"ActionType": "LDAP query", "Query": "Search Scope: base, Base Object:DC=corp,DC=local, Search Filter: (sAMAccountName=bob)",
			"IPAddress": "fe80::1%5", "Port": int64(50200), "AccountName": ""},
		{"ActionType": "SAMR query", "Protocol": "Samr", "QueryType": "QueryUser", "QueryTarget": "S-1-5-21-1-2-3-500",
			"AccountName": "alice", "AccountDomain": "CORP", "AccountSid": "S-1-5-21-1-2-3-1104", "IPAddress": "", "ReportId": "14"},
		{"ActionType": "DNS query", "Protocol": "Dns", "QueryType": "AAAA", "QueryTarget": "abcdefghij1234567890.api.east.example.com",
			"IPAddress": "10.0.0.23", "Port": int64(53001), "DestinationIPAddress": "10.0.0.1"},
	}
	for i, w := range want {
		got := rowMap(t, c, "IdentityQueryEvents", i)
		for k, v := range w {
			if got[k] != v {
				t.Errorf("row %d: %s = %#v, want %#v", i, k, got[k], v)
			}
		}
	}
}

// TestDeviceFileCertificateInfo: Sysmon 7 and 6 signature facts become
// rows; IsTrusted is a Valid status on a signed file.
func TestDeviceFileCertificateInfo(t *testing.T) {
	at := time.Date(2024, 5, 1, 9, 0, 0, 0, time.UTC)
	utc := func(d time.Duration) string { return at.Add(d).Format("2006-01-02 15:04:05.000") }
	evs := []struct {
		id uint32
		kv []string
	}{
		{7, []string{"ImageLoaded", `C:\Windows\System32\ntdll.dll`, "Hashes", "SHA1=ABCDEF0123456789ABCDEF0123456789ABCDEF01,MD5=00", "Signed", "true", "Signature", "Microsoft Windows", "SignatureStatus", "Valid"}},
		{7, []string{"ImageLoaded", `C:\Users\x\evil.dll`, "Hashes", "SHA256=11", "Signed", "false", "Signature", "-", "SignatureStatus", "Unavailable"}},
		{6, []string{"ImageLoaded", `C:\drv\old.sys`, "Hashes", "SHA1=2222222222222222222222222222222222222222", "Signed", "true", "Signature", "Some Vendor", "SignatureStatus", "Expired"}},
		{7, []string{"ImageLoaded", `C:\x.dll`}}, // no signature facts: no row
	}
	b := NewBuilder(Options{Tables: []string{"DeviceFileCertificateInfo"}})
	for i, e := range evs {
		b.Add(sysmon(e.id, uint64(20+i), at, append([]string{"UtcTime", utc(time.Duration(i) * time.Second)}, e.kv...)...))
	}
	c := b.Finish()
	tb, _ := c.Table("DeviceFileCertificateInfo", nil)
	if len(tb.Rows) != 3 {
		t.Fatalf("%d rows, want 3", len(tb.Rows))
	}
	want := []map[string]any{
		{"SHA1": "abcdef0123456789abcdef0123456789abcdef01", "IsSigned": true, "Signer": "Microsoft Windows", "IsTrusted": true, "ReportId": int64(20), "Timestamp": at},
		{"SHA1": "", "IsSigned": false, "Signer": "", "IsTrusted": false},
		{"SHA1": "2222222222222222222222222222222222222222", "IsSigned": true, "Signer": "Some Vendor", "IsTrusted": false},
	}
	for i, w := range want {
		got := rowMap(t, c, "DeviceFileCertificateInfo", i)
		for k, v := range w {
			if got[k] != v {
				t.Errorf("row %d: %s = %#v, want %#v", i, k, got[k], v)
			}
		}
	}
}
