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
//   - Normalize, EventTime, DataName: what every parser applies.
//
// Normalize is what every parser applies to a decoded event: the event
// time (TimeField, EventTime) and the field names rules use (DataName).
// NewProcessAccount is the one reading of 4688's account, which Sigma's
// mapping and the KQL tables share. ProcessKey names the process an event
// is about, so that hits on the same process can be grouped. The package
// imports only the standard library and parsers' Event model.
package winevent
