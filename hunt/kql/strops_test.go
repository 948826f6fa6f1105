package kql

import "testing"

func TestStringOperators(t *testing.T) {
	tests := []struct {
		op, h, n string
		want     bool
	}{
		// has: whole terms, case-insensitive
		{"has", "North America", "america", true},
		{"has", "KustoExplorerQueryRun", "Explorer", false},
		{"has", "KustoExplorerQueryRun", "kustoexplorerqueryrun", true},
		{"has", "a-b c", "b", true},
		{"has", "abc", "", true},
		// punctuated needles: substring, with term boundaries at alnum ends
		{"has", `C:\aaaa\procdump64.exe -ma`, `\aaaa\procdump64.exe`, true},
		{"has", `C:\aaaa\procdump64.exeX -ma`, `\aaaa\procdump64.exe`, false},
		{"has", `x\ldifde.exe -f -n y`, `\ldifde.exe -f -n `, true},
		{"has", `copy .\1.7z \\srv`, `copy .\1.7z \`, true},
		{"has", `xcopy .\1.7z \\srv`, `copy .\1.7z \`, false},
		{"has", "Mimikatz.exe", "mimikatz.exe", true},
		{"has_cs", "Mimikatz.exe", "mimikatz.exe", false},
		{"has_cs", "Mimikatz.exe", "Mimikatz", true},
		// contains: plain substring
		{"contains", "KustoExplorerQueryRun", "Explorer", true},
		{"contains", "KustoExplorerQueryRun", "EXPLORER", true},
		{"contains_cs", "KustoExplorerQueryRun", "EXPLORER", false},
		{"startswith", "PowerShell.exe", "power", true},
		{"startswith_cs", "PowerShell.exe", "power", false},
		{"endswith", `C:\X\MSEDGE.EXE`, `\msedge.exe`, true},
		{"endswith_cs", `C:\X\MSEDGE.EXE`, `\msedge.exe`, false},
		{"hasprefix", "North America", "amer", true},
		{"hasprefix", "North America", "meri", false},
		{"hassuffix", "North America", "rica", true},
		{"hassuffix", "North America", "ameri", false},
		// non-ASCII haystacks take the lower-casing path
		{"contains", "Größe Ünïcode", "ÜNÏ", true},
		{"has", "Größe Ünïcode", "größe", true},
	}
	for _, tt := range tests {
		t.Run(tt.op+"/"+tt.h+"/"+tt.n, func(t *testing.T) {
			if got := stringOp(tt.op, tt.h, tt.n); got != tt.want {
				t.Errorf("%q %s %q = %v, want %v", tt.h, tt.op, tt.n, got, tt.want)
			}
		})
	}
}
