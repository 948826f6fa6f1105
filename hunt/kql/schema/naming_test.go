package schema

import "testing"

func TestSentinelNaming(t *testing.T) {
	var n SentinelNaming
	for _, tt := range []struct {
		name, canonical string
		function, table bool
	}{
		{"_Im_NetworkSession", "imNetworkSession", true, true},
		{"_ASim_NetworkSession", "ASimNetworkSession", true, true},
		{"_Im_ProcessCreation", "imProcessCreate", true, true},
		{"imProcessCreation", "imProcessCreate", false, true},
		{"ASimProcessCreation", "ASimProcessCreate", false, true},
		{"imNetworkSession", "imNetworkSession", false, true},
		{"imProcess", "imProcess", false, true},
		{"ASimDnsActivityLogs", "ASimDnsActivityLogs", false, true},
		{"DeviceProcessEvents", "DeviceProcessEvents", false, false},
		{"_im_x", "_im_x", false, false},
		{"iff", "iff", false, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := n.CanonicalTable(tt.name); got != tt.canonical {
				t.Errorf("CanonicalTable = %s, want %s", got, tt.canonical)
			}
			if got := n.TableFunction(tt.name); got != tt.function {
				t.Errorf("TableFunction = %v, want %v", got, tt.function)
			}
			if got := n.TableName(tt.name); got != tt.table {
				t.Errorf("TableName = %v, want %v", got, tt.table)
			}
		})
	}
}
