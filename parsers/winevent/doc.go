// Package winevent is the one table of Windows event log facts that the rest
// of loghunt reads: channel names, the fields of each provider and event ID,
// the Security 4688 to Sysmon 1 field mapping with its number and SID
// conversions, the well-known account and mandatory label SIDs, and the
// fields shown for a hit.
//
// Everything here is a literal Go table (no init, no registry): a consumer
// reads the exported variables or calls the small lookup functions. The
// lookup indexes are built on first use and are safe for concurrent use;
// the tables must not be modified.
//
// Entry points:
//   - Channels, ChannelsOfService and RestoreChannel: channel spellings,
//     the Sigma logsource services that route to them, and the spelling
//     parsers/json gives back to a channel an export wrote in another case.
//   - IsSysmon and IsSecurity: whether an event comes from those logs.
//   - SystemFields and Sources: the fields every event has, and those of
//     each Sysmon, Security and PowerShell event ID.
//   - Security4688 and DefenderAntivirus: field mappings from an event's
//     own names to the names rules use; FieldMap.Apply computes one field.
//   - ParseNumber, HexToDecimal, LookupLabel, LookupAccount and
//     TokenElevation: the conversions the mappings and the KQL tables use.
//   - KeyFields and CoreColumnOf: the fields shown for a hit.
//
// Where two consumers read the same fact differently today (Sigma's and
// the KQL tables' view of 4688's user, for example), both readings are
// here under their own names, with a comment saying how they differ; a
// later fidelity change will reconcile them. The package imports only the
// standard library.
package winevent
