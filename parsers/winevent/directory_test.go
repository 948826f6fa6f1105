package winevent

import (
	"strings"
	"testing"
)

func TestParseLDAPSearch(t *testing.T) {
	tests := []struct {
		name    string
		message string
		data    []string
		want    LDAPSearch
		ok      bool
	}{
		{"message", "Internal event: A client issued a search operation with the following options.\r\n\r\nClient:\r\n10.0.0.23:50123\r\nStarting node:\r\nDC=corp,DC=local\r\nFilter:\r\n(objectClass=*)\r\nSearch scope:\r\nsubtree\r\n",
			nil, LDAPSearch{BaseObject: "DC=corp,DC=local", Filter: "(objectClass=*)", Scope: "subtree", Client: "10.0.0.23", Port: "50123"}, true}, // as Event Viewer renders it: each value on the line after its label
		{"flat message", "Client: 10.0.0.23:50123\nStarting node: DC=corp,DC=local\nFilter: (servicePrincipalName=*)\nSearch scope: subtree\nUser: CORP\\alice",
			nil, LDAPSearch{BaseObject: "DC=corp,DC=local", Filter: "(servicePrincipalName=*)", Scope: "subtree", Client: "10.0.0.23", Port: "50123", User: `CORP\alice`}, true},
		{"data", "", []string{"DC=corp,DC=local", "(cn=x)", "onelevel", "[all]", "", "3", "1", "[::ffff:10.0.0.5]:389"},
			LDAPSearch{BaseObject: "DC=corp,DC=local", Filter: "(cn=x)", Scope: "onelevel", Client: "10.0.0.5", Port: "389"}, true},
		{"data without a scope", "", []string{"a", "b", "c", "10.0.0.5:1"}, LDAPSearch{}, false},
		{"too few", "", []string{"DC=x", "(a=b)"}, LDAPSearch{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := ParseLDAPSearch(tt.message, tt.data)
			if ok != tt.ok || got != tt.want {
				t.Errorf("got %+v, %v; want %+v, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestSAMRQueryTypeAndDNSTypeName(t *testing.T) {
	for in, want := range map[string]string{"SAM_USER": "QueryUser", "sam_group": "QueryGroup", "SAM_ALIAS": "QueryGroup", "SAM_DOMAIN": "", "File": ""} {
		if got := SAMRQueryType(in); got != want {
			t.Errorf("SAMRQueryType(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{"1": "A", "28": "AAAA", " 33 ": "SRV", "9999": "9999"} {
		if got := DNSTypeName(in); got != want {
			t.Errorf("DNSTypeName(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzParseLDAPSearch: any message and Data give a result without
// panicking; a failure is the zero value, and a client port is a number.
func FuzzParseLDAPSearch(f *testing.F) {
	f.Add("Client: 10.0.0.23:50123\nStarting node: DC=corp\nFilter: (a=b)\nSearch scope: base", "DC=x\x00(a=b)\x00subtree\x00[fe80::1]:5")
	f.Add("", "a\x00b\x00base\x00x:y")
	f.Fuzz(func(t *testing.T, message, data string) {
		s, ok := ParseLDAPSearch(message, strings.Split(data, "\x00"))
		if !ok && s != (LDAPSearch{}) {
			t.Fatalf("not ok but %+v", s)
		}
		for _, c := range s.Port {
			if c < '0' || c > '9' {
				t.Fatalf("port %q", s.Port)
			}
		}
	})
}
