package schema

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/loghunt/loghunt/parsers/winevent"
)

// IdentityQueryEvents: the queries a domain controller answered, as
// Defender for Identity reports them, from the events the DC writes about
// them (winevent's directory facts):
//   - Directory Service 1644, an LDAP search: ActionType "LDAP query";
//   - Security 4661 on a Security Account Manager user or group, a SAMR
//     request: ActionType "SAMR query";
//   - the DNS server's analytic 256, a query received: ActionType
//     "DNS query".
// The columns are in mappings.tsv.

// addIdentityQuery adds the IdentityQueryEvents row of a Directory Service
// 1644 or a DNS server 256.
func (b *Builder) addIdentityQuery(v *view, id uint32) {
	ev := v.src
	switch {
	case id == 1644 && strings.EqualFold(ev.Channel, winevent.DirectoryService):
		b.iqeLDAP(v)
	case id == 256 && strings.EqualFold(ev.Channel, winevent.DNSServerAnalytic):
		b.iqeDNS(v)
	}
}

// iqeRow starts an IdentityQueryEvents row: the DC that answered is the
// destination.
func (b *Builder) iqeRow(v *view, action, protocol string) row {
	w := b.newRow(b.iqe, v.event(), v.time)
	w.set("Timestamp", timeCell(v.time))
	w.set("TimeGenerated", timeCell(v.time))
	w.set("Type", "IdentityQueryEvents")
	w.set("Application", "Active Directory")
	w.set("ActionType", action)
	w.set("Protocol", protocol)
	if rec := v.event().RecordID; rec != 0 {
		w.set("ReportId", strconv.FormatUint(rec, 10))
	}
	w.str("DestinationDeviceName", strings.ToLower(v.host()))
	return w
}

// iqeLDAP adds a row for a 1644. Query has the shape Defender writes, which
// hunting queries take apart with
// parse Query with * "Search Scope: " Scope ", Base Object:" Base ", Search Filter: " Filter.
func (b *Builder) iqeLDAP(v *view) {
	s, ok := winevent.ParseLDAPSearch(v.get("Message"), v.event().Values(nil, "Data"))
	if !ok {
		return
	}
	w := b.iqeRow(v, "LDAP query", "Ldap")
	w.set("Query", fmt.Sprintf("Search Scope: %s, Base Object:%s, Search Filter: %s", s.Scope, s.BaseObject, s.Filter))
	w.str("IPAddress", s.Client)
	if p, ok := portCell(s.Port).(int64); ok {
		w.set("Port", p)
	}
	if d, u, ok := strings.Cut(s.User, `\`); ok {
		w.str("AccountDomain", d)
		w.str("AccountName", u)
	} else {
		w.str("AccountName", s.User)
	}
	w.str("AccountSid", v.get("Security_UserID"))
	add := map[string]any{}
	for k, val := range map[string]string{"SearchScope": s.Scope, "BaseObject": s.BaseObject, "SearchFilter": s.Filter} {
		if val != "" {
			add[k] = val
		}
	}
	w.set("AdditionalFields", add)
}

// iqeSAMR adds a row for a 4661 that opened a Security Account Manager
// user or group; other objects (the domain, the server) are opened by every
// logon and are no query.
func (b *Builder) iqeSAMR(v *view) {
	if !strings.EqualFold(strings.TrimSpace(v.get("ObjectServer")), winevent.SAMObjectServer) {
		return
	}
	qt := winevent.SAMRQueryType(v.get("ObjectType"))
	if qt == "" {
		return
	}
	w := b.iqeRow(v, "SAMR query", "Samr")
	w.set("QueryType", qt)
	w.str("QueryTarget", dash2empty(v.get("ObjectName")))
	w.str("AccountDomain", dash2empty(v.get("SubjectDomainName")))
	w.str("AccountName", dash2empty(v.get("SubjectUserName")))
	w.str("AccountSid", sidOrEmpty(v.get("SubjectUserSid")))
	add := map[string]any{}
	for _, k := range []string{"ObjectType", "AccessMask", "ProcessName"} {
		if val := dash2empty(v.get(k)); val != "" {
			add[k] = val
		}
	}
	w.set("AdditionalFields", add)
}

// iqeDNS adds a row for a DNS server 256 (QUERY_RECEIVED): the client is
// Source, the name asked for QNAME without its final dot.
func (b *Builder) iqeDNS(v *view) {
	name := strings.TrimSuffix(strings.TrimSpace(v.get("QNAME")), ".")
	if name == "" {
		return
	}
	w := b.iqeRow(v, "DNS query", "Dns")
	w.set("QueryTarget", name)
	w.str("QueryType", winevent.DNSTypeName(v.get("QTYPE")))
	w.str("IPAddress", remoteIP(v.get("Source")))
	if p, ok := portCell(v.get("Port")).(int64); ok && p > 0 {
		w.set("Port", p)
	}
	w.str("DestinationIPAddress", remoteIP(v.get("InterfaceIP")))
}
