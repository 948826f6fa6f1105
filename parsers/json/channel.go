package json

import "strings"

// knownChannels are the canonical spellings of the event log channels that
// rules name. Exporters sometimes lowercase them ("security"); the core
// Event.Channel gets the canonical spelling back so that routing by
// channel works, while the Channel field keeps what the file said.
var knownChannels = func() map[string]string {
	m := make(map[string]string)
	for _, c := range []string{
		"Application",
		"Security",
		"Setup",
		"System",
		"ForwardedEvents",
		"Windows PowerShell",
		"Microsoft-Windows-AppLocker/EXE and DLL",
		"Microsoft-Windows-AppLocker/MSI and Script",
		"Microsoft-Windows-AppLocker/Packaged app-Deployment",
		"Microsoft-Windows-AppLocker/Packaged app-Execution",
		"Microsoft-Windows-AppXDeploymentServer/Operational",
		"Microsoft-Windows-Bits-Client/Operational",
		"Microsoft-Windows-CodeIntegrity/Operational",
		"Microsoft-Windows-DNS-Client/Operational",
		"Microsoft-Windows-DNSServer/Analytical",
		"Microsoft-Windows-DriverFrameworks-UserMode/Operational",
		"Microsoft-Windows-LSA/Operational",
		"Microsoft-Windows-NTLM/Operational",
		"Microsoft-Windows-OpenSSH/Operational",
		"Microsoft-Windows-PowerShell/Operational",
		"Microsoft-Windows-PrintService/Admin",
		"Microsoft-Windows-PrintService/Operational",
		"Microsoft-Windows-Security-Mitigations/KernelMode",
		"Microsoft-Windows-Security-Mitigations/UserMode",
		"Microsoft-Windows-Shell-Core/Operational",
		"Microsoft-Windows-SMBClient/Security",
		"Microsoft-Windows-SMBServer/Security",
		"Microsoft-Windows-Sysmon/Operational",
		"Microsoft-Windows-TaskScheduler/Operational",
		"Microsoft-Windows-TerminalServices-LocalSessionManager/Operational",
		"Microsoft-Windows-TerminalServices-RemoteConnectionManager/Operational",
		"Microsoft-Windows-WinRM/Operational",
		"Microsoft-Windows-Windows Defender/Operational",
		"Microsoft-Windows-Windows Firewall With Advanced Security/Firewall",
		"Microsoft-Windows-WMI-Activity/Operational",
		"Microsoft-Windows-Kernel-ShimEngine/Operational",
		"Microsoft-Windows-Diagnosis-Scripted/Operational",
		"Microsoft-Windows-Ldap-Client/Debug",
		"Microsoft-ServiceBus-Client",
		"MSExchange Management",
		"OpenSSH/Operational",
	} {
		m[strings.ToLower(c)] = c
		m[c] = c
	}
	return m
}()

// canonicalChannel returns the canonical spelling of a known channel, or c.
func canonicalChannel(c string) string {
	if k, ok := knownChannels[c]; ok { // canonical or all lowercase: no allocation
		return k
	}
	if len(c) > 128 {
		return c
	}
	if k, ok := knownChannels[strings.ToLower(c)]; ok {
		return k
	}
	return c
}
