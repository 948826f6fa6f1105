package winevent

import (
	"net/netip"
	"strconv"
	"strings"
)

// Facts of the events a domain controller writes about the queries it
// answers: Directory Service 1644 (an LDAP search, logged when "Field
// Engineering" diagnostics are raised to 5, as Microsoft's "expensive and
// inefficient LDAP queries" guidance describes), Security 4661 on the
// Security Account Manager's objects (a SAMR request, audited with a SACL)
// and the DNS server's analytic 256 (a query received).

const (
	// DirectoryService is the channel Active Directory Domain Services
	// writes its diagnostics to, 1644 among them.
	DirectoryService = "Directory Service"
	// DNSServerAnalytic is the DNS server's analytic channel, where 256 is
	// QUERY_RECEIVED.
	DNSServerAnalytic = "Microsoft-Windows-DNSServer/Analytical"
	// SAMObjectServer is the ObjectServer of a 4661 raised by the Security
	// Account Manager, the server side of SAMR.
	SAMObjectServer = "Security Account Manager"
)

// LDAPSearch is what a Directory Service 1644 says about one LDAP search.
type LDAPSearch struct {
	BaseObject string // "Starting node": the DN the search starts from
	Filter     string
	Scope      string // base, onelevel or subtree
	Client     string // the client's address, without the port
	Port       string // the client's port
	User       string // DOMAIN\user, when the message names it
}

// ParseLDAPSearch reads a 1644 from its message text (the labels
// "Client:", "Starting node:", "Filter:", "Search scope:", "User:" of the
// rendered event, each followed by its value on the same line or the next,
// which is all a flat export keeps) or, without one, from
// its unnamed Data elements: the first three insertion strings are the
// starting node, the filter and the scope, and the client is the one
// element written as address:port. Positional values are used only when
// the third is a scope Windows writes, so an event of another layout gives
// nothing. ok is false when neither form is recognised.
func ParseLDAPSearch(message string, data []string) (LDAPSearch, bool) {
	var s LDAPSearch
	if message != "" {
		found := false
		lines := strings.Split(message, "\n")
		for i, line := range lines {
			k, v, ok := strings.Cut(strings.TrimSpace(line), ":")
			if !ok {
				continue
			}
			v = strings.TrimSpace(v)
			if v == "" && i+1 < len(lines) {
				// Event Viewer writes each value on the line after
				// its label; an empty value is followed by the next
				// label.
				if next := strings.TrimSpace(lines[i+1]); !strings.HasSuffix(next, ":") {
					v = next
				}
			}
			switch strings.ToLower(strings.TrimSpace(k)) {
			case "client":
				s.Client, s.Port = splitHostPort(v)
			case "starting node":
				s.BaseObject, found = v, true
			case "filter":
				s.Filter, found = v, true
			case "search scope":
				s.Scope = v
			case "user":
				s.User = v
			}
		}
		if found {
			return s, true
		}
	}
	if len(data) < 3 || !ldapScope(strings.TrimSpace(data[2])) {
		return LDAPSearch{}, false
	}
	s.BaseObject, s.Filter, s.Scope = strings.TrimSpace(data[0]), strings.TrimSpace(data[1]), strings.TrimSpace(data[2])
	for _, d := range data[3:] {
		if h, p := splitHostPort(strings.TrimSpace(d)); p != "" {
			s.Client, s.Port = h, p
			break
		}
	}
	return s, true
}

func ldapScope(s string) bool {
	switch strings.ToLower(s) {
	case "base", "onelevel", "subtree":
		return true
	}
	return false
}

// splitHostPort splits "10.0.0.5:49822" or "[fe80::1]:49822"; p is "" when
// s is not an IP address with a port.
func splitHostPort(s string) (host, p string) {
	ap, err := netip.ParseAddrPort(s)
	if err != nil {
		return s, ""
	}
	return ap.Addr().Unmap().String(), strconv.Itoa(int(ap.Port()))
}

// SAMRQueryType names the query a 4661 on a Security Account Manager
// object stands for, in the terms of Defender's IdentityQueryEvents
// QueryType: a handle to a user is QueryUser, to a group or alias
// QueryGroup. Other object types (SAM_DOMAIN, SAM_SERVER) are opened by
// every logon and name no query: "".
func SAMRQueryType(objectType string) string {
	switch strings.ToUpper(strings.TrimSpace(objectType)) {
	case "SAM_USER":
		return "QueryUser"
	case "SAM_GROUP", "SAM_ALIAS":
		return "QueryGroup"
	}
	return ""
}

// dnsTypes names the DNS record types (IANA's registry) a query asks for.
var dnsTypes = map[string]string{
	"1": "A", "2": "NS", "5": "CNAME", "6": "SOA", "12": "PTR", "15": "MX", "16": "TXT", "28": "AAAA",
	"33": "SRV", "35": "NAPTR", "43": "DS", "48": "DNSKEY", "65": "HTTPS", "252": "AXFR", "251": "IXFR", "255": "ANY",
}

// DNSTypeName names a QTYPE number ("28" is AAAA); other values are
// returned as written.
func DNSTypeName(qtype string) string {
	qtype = strings.TrimSpace(qtype)
	if n, ok := dnsTypes[qtype]; ok {
		return n
	}
	return qtype
}
