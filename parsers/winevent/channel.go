package winevent

import (
	"strings"
	"sync"
)

// Channels that code refers to by name.
const (
	Security          = "Security"
	Sysmon            = "Microsoft-Windows-Sysmon/Operational"
	PowerShell        = "Microsoft-Windows-PowerShell/Operational"
	PowerShellCore    = "PowerShellCore/Operational"
	WindowsPowerShell = "Windows PowerShell"
	Defender          = "Microsoft-Windows-Windows Defender/Operational"
)

// Providers that code refers to by name.
const (
	SysmonProvider   = "Microsoft-Windows-Sysmon"
	SecurityProvider = "Microsoft-Windows-Security-Auditing"
)

// Channel is one Windows event log channel.
type Channel struct {
	// Name is the channel's spelling. Channels compare case-insensitively
	// everywhere (Sigma routing lower-cases them), so the case given here
	// only matters for the spelling parsers/json restores.
	Name string
	// Services are the Sigma logsource services that route to the
	// channel (logsource "service: applocker" matches the four AppLocker
	// channels), in no particular order; a service's channels are routed
	// in the order of Channels.
	Services []string
	// Restore says that parsers/json gives the core Event.Channel this
	// spelling back when an export wrote the channel in another case
	// ("security" becomes "Security"). Only the channels parsers/json
	// knew before this table existed are restored; the others are Sigma
	// routing targets that JSON leaves as written. A fidelity change may
	// restore them all.
	Restore bool
}

// Channels lists every channel loghunt knows, Sigma's service channels
// first, in their routing order, then those only parsers/json restores.
//
// The names are those Windows writes in an event's System/Channel, checked
// against the shared corpus's EVTX files (a corpus test fails when a
// channel found there is spelled otherwise here) and Hayabusa's channel
// list, which is built from real logs. SigmaHQ's test harness spells some
// differently, and those spellings never occur in events: the DNS client's
// channel is "Microsoft-Windows-DNS-Client/Operational" ("DNS Client
// Events" is Event Viewer's folder name), and Security-Mitigations writes
// "KernelMode" and "UserMode", without a space.
//
// Not confirmed by an event: "Microsoft-ServiceBus-Client/Admin" and
// "/Operational" (SigmaHQ's spelling; Hayabusa lists the bare
// "Microsoft-ServiceBus-Client", which is routed too) and
// "Microsoft-Windows-OpenSSH/Operational" (only restored; Windows'
// OpenSSH writes "OpenSSH/Operational").
var Channels = []Channel{
	{Name: "Application", Services: []string{"application"}, Restore: true},
	{Name: "Microsoft-Windows-AppLocker/MSI and Script", Services: []string{"applocker"}, Restore: true},
	{Name: "Microsoft-Windows-AppLocker/EXE and DLL", Services: []string{"applocker"}, Restore: true},
	{Name: "Microsoft-Windows-AppLocker/Packaged app-Deployment", Services: []string{"applocker"}, Restore: true},
	{Name: "Microsoft-Windows-AppLocker/Packaged app-Execution", Services: []string{"applocker"}, Restore: true},
	{Name: "Microsoft-Windows-AppModel-Runtime/Admin", Services: []string{"appmodel-runtime"}},
	{Name: "Microsoft-Windows-AppXDeploymentServer/Operational", Services: []string{"appxdeployment-server"}, Restore: true},
	{Name: "Microsoft-Windows-AppxPackaging/Operational", Services: []string{"appxpackaging-om"}},
	{Name: "Microsoft-Windows-BitLocker/BitLocker Management", Services: []string{"bitlocker"}},
	{Name: "Microsoft-Windows-Bits-Client/Operational", Services: []string{"bits-client"}, Restore: true},
	{Name: "Microsoft-Windows-CAPI2/Operational", Services: []string{"capi2"}},
	{Name: "Microsoft-Windows-CertificateServicesClient-Lifecycle-System/Operational", Services: []string{"certificateservicesclient-lifecycle-system"}},
	{Name: "Microsoft-Windows-CodeIntegrity/Operational", Services: []string{"codeintegrity-operational"}, Restore: true},
	{Name: "Microsoft-Windows-Diagnosis-Scripted/Operational", Services: []string{"diagnosis-scripted"}, Restore: true},
	{Name: "Microsoft-Windows-DNS-Client/Operational", Services: []string{"dns-client"}, Restore: true},
	{Name: "DNS Server", Services: []string{"dns-server"}},
	{Name: DNSServerAnalytic, Services: []string{"dns-server-analytic"}, Restore: true},
	{Name: "Microsoft-Windows-DriverFrameworks-UserMode/Operational", Services: []string{"driver-framework"}, Restore: true},
	{Name: "Microsoft-Windows-Windows Firewall With Advanced Security/Firewall", Services: []string{"firewall-as"}, Restore: true},
	{Name: "Microsoft-Windows-Hyper-V-Worker", Services: []string{"hyper-v-worker"}},
	{Name: "Microsoft-IIS-Configuration/Operational", Services: []string{"iis-configuration"}},
	{Name: "Microsoft-Windows-Kernel-EventTracing", Services: []string{"kernel-event-tracing"}},
	{Name: "Microsoft-Windows-Kernel-ShimEngine/Operational", Services: []string{"kernel-shimengine"}, Restore: true},
	{Name: "Microsoft-Windows-Kernel-ShimEngine/Diagnostic", Services: []string{"kernel-shimengine"}},
	{Name: "Microsoft-Windows-Application-Experience/Program-Telemetry", Services: []string{"application-experience"}},
	{Name: "Microsoft-Windows-Application-Experience/Program-Compatibility-Assistant", Services: []string{"application-experience"}},
	{Name: "Microsoft-Windows-Ldap-Client/Debug", Services: []string{"ldap"}, Restore: true},
	{Name: "Microsoft-Windows-LSA/Operational", Services: []string{"lsa-server"}, Restore: true},
	{Name: "Microsoft-ServiceBus-Client", Services: []string{"microsoft-servicebus-client", "servicebus-client"}, Restore: true},
	{Name: "Microsoft-ServiceBus-Client/Admin", Services: []string{"microsoft-servicebus-client", "servicebus-client"}},
	{Name: "Microsoft-ServiceBus-Client/Operational", Services: []string{"microsoft-servicebus-client", "servicebus-client"}},
	{Name: "MSExchange Management", Services: []string{"msexchange-management"}, Restore: true},
	{Name: "Microsoft-Windows-Ntfs/Operational", Services: []string{"ntfs"}},
	{Name: "Microsoft-Windows-NTLM/Operational", Services: []string{"ntlm"}, Restore: true},
	{Name: "OpenSSH/Operational", Services: []string{"openssh"}, Restore: true},
	{Name: PowerShell, Services: []string{"powershell"}, Restore: true},
	{Name: PowerShellCore, Services: []string{"powershell"}},
	{Name: WindowsPowerShell, Services: []string{"powershell-classic"}, Restore: true},
	{Name: "Microsoft-Windows-PrintService/Admin", Services: []string{"printservice-admin"}, Restore: true},
	{Name: "Microsoft-Windows-PrintService/Operational", Services: []string{"printservice-operational"}, Restore: true},
	{Name: Security, Services: []string{"security"}, Restore: true},
	{Name: "Microsoft-Windows-Security-Mitigations/KernelMode", Services: []string{"security-mitigations"}, Restore: true},
	{Name: "Microsoft-Windows-Security-Mitigations/UserMode", Services: []string{"security-mitigations"}, Restore: true},
	{Name: "Microsoft-Windows-SENSE/Operational", Services: []string{"sense"}},
	{Name: "Microsoft-Windows-Shell-Core/Operational", Services: []string{"shell-core"}, Restore: true},
	{Name: "Microsoft-Windows-SmbClient/Connectivity", Services: []string{"smbclient-connectivity"}},
	{Name: "Microsoft-Windows-SMBClient/Security", Services: []string{"smbclient-security"}, Restore: true},
	{Name: "Microsoft-Windows-SMBServer/Connectivity", Services: []string{"smbserver-connectivity"}},
	{Name: Sysmon, Services: []string{"sysmon"}, Restore: true},
	{Name: "System", Services: []string{"system"}, Restore: true},
	{Name: "Microsoft-Windows-TaskScheduler/Operational", Services: []string{"taskscheduler"}, Restore: true},
	{Name: "Microsoft-Windows-TerminalServices-LocalSessionManager/Operational", Services: []string{"terminalservices-localsessionmanager"}, Restore: true},
	{Name: "Microsoft-Windows-VHDMP/Operational", Services: []string{"vhdmp"}},
	{Name: Defender, Services: []string{"windefend"}, Restore: true},
	{Name: "Microsoft-Windows-WMI-Activity/Operational", Services: []string{"wmi"}, Restore: true},

	{Name: "Setup", Restore: true},
	{Name: "ForwardedEvents", Restore: true},
	{Name: "Microsoft-Windows-OpenSSH/Operational", Restore: true},
	{Name: "Microsoft-Windows-SMBServer/Security", Restore: true},
	{Name: "Microsoft-Windows-TerminalServices-RemoteConnectionManager/Operational", Restore: true},
	{Name: "Microsoft-Windows-WinRM/Operational", Restore: true},
}

// ChannelsOfService returns the channels a Sigma logsource service routes
// to, in the order of Channels, or nil for a service no channel lists. The
// service name is compared exactly (Sigma services are lower-case).
func ChannelsOfService(service string) []string {
	var out []string
	for _, c := range Channels {
		for _, s := range c.Services {
			if s == service {
				out = append(out, c.Name)
				break
			}
		}
	}
	return out
}

// restoreIndex maps the spelling of every restored channel, and its
// lower-case form, to the spelling.
var restoreIndex = sync.OnceValue(func() map[string]string {
	m := make(map[string]string)
	for _, c := range Channels {
		if c.Restore {
			m[strings.ToLower(c.Name)] = c.Name
			m[c.Name] = c.Name
		}
	}
	return m
})

// maxChannel bounds the length of a name RestoreChannel lower-cases; no
// known channel is longer.
const maxChannel = 128

// RestoreChannel returns the spelling of a restored channel (see
// Channel.Restore) that c names in any case, or c itself. A name that is
// already a spelling or all lower-case costs no allocation.
func RestoreChannel(c string) string {
	idx := restoreIndex()
	if k, ok := idx[c]; ok {
		return k
	}
	if len(c) > maxChannel {
		return c
	}
	if k, ok := idx[strings.ToLower(c)]; ok {
		return k
	}
	return c
}

// IsSysmon reports whether an event with this channel and provider comes
// from Sysmon (case-insensitively).
func IsSysmon(channel, provider string) bool {
	return strings.EqualFold(channel, Sysmon) || strings.EqualFold(provider, SysmonProvider)
}

// IsSecurity reports whether an event with this channel and provider comes
// from the Security log (case-insensitively).
func IsSecurity(channel, provider string) bool {
	return strings.EqualFold(channel, Security) || strings.EqualFold(provider, SecurityProvider)
}
