// Package json reads Windows event logs exported as JSON into
// parsers.Event values.
//
// Use NewUnit for each file and call Decode once: it streams the input,
// one document at a time, with memory bounded by Options.MaxDocument. For a
// file with random access, Split cuts it into units of about
// Options.UnitSize at line boundaries where the decoder is provably between
// documents (JSON Lines, and documents one after another); the units decode
// concurrently and together give exactly what NewUnit gives for the whole
// file, line numbers and reports included.
//
// # Framing
//
// The input may be JSON Lines, one JSON array of events, several
// (pretty-printed) documents one after another, or any mix of these, with
// any white space between them and an optional UTF-8 byte order mark. Each
// top-level object, and each object element of a top-level array, is one
// event; its Source has the line of its first byte (1-based) and that
// byte's offset in the input. A malformed document is reported as a non-final
// *parsers.ParseError (with its first line and byte offset) and counted in
// Stats.Failed; decoding resumes at the next line that opens a document at
// the same or a lower indentation (for JSON Lines: the next line). A
// document larger than Options.MaxDocument is reported (ErrTooLarge) and
// skipped the same way.
//
// # Shapes
//
// Each object is mapped by its shape:
//
//   - evtx_dump (the Rust evtx crate, also with its "X_attributes" form):
//     {"Event": {"System": {...}, "EventData": {...}}}. System values get
//     the Sigma names EventID, Channel, Provider_Name, Provider_Guid,
//     Computer, EventRecordID, Level, Task, Opcode, Keywords, Version,
//     Security_UserID, ProcessID, ThreadID, TimeCreated_SystemTime (and,
//     generally, Element_Attribute; EventID's Qualifiers stays
//     "Qualifiers"). Each EventData member becomes a field of its name; an
//     unnamed <Data> list becomes repeated "Data" fields. UserData leaves
//     (elements and attributes, xmlns excepted) become fields named by the
//     leaf, and evtx_dump's "Header_1" renaming of repeated elements is
//     undone. Other members of Event (RenderingInfo) keep dotted paths.
//     The same mapping applies to an object holding System and EventData
//     without the Event wrapper.
//   - Winlogbeat/ECS: an object with a "winlog" object (or "winlog."
//     keys). winlog.event_data.X becomes X, winlog.user_data leaves their
//     leaf name, winlog.event_id, channel, provider_name, provider_guid,
//     computer_name, record_id, process.pid, process.thread.id,
//     user.identifier, version, opcode, task, keywords and activity_id get
//     the Sigma System names; every other leaf keeps its dotted path
//     (host.name, process.command_line, ...). @timestamp gives the time.
//   - flat, and any other shape: every top-level key is a field as
//     written. A nested value is a field named by its dotted path
//     ("process.Image"), and also by its leaf name ("Image") when no
//     top-level key has that name, so rules written against Sigma names
//     still find it. Core fields come from the Sigma names or common
//     aliases (EventId, ProviderName, ComputerName, Hostname,
//     RecordNumber, LogName, ...).
//
// Values are kept as text: strings as decoded (bytes that are not valid
// UTF-8 are kept as they are; escaped lone surrogates become U+FFFD, as
// with encoding/json), numbers in their JSON
// spelling (4688 stays "4688", 64-bit ids stay exact), booleans as "true"
// and "false". A null is not stored. An array becomes one field per
// element, under the same name.
//
// The core Channel is given its canonical spelling when a known channel
// is written in another case ("security" -> "Security"); the Channel
// field keeps the text of the file.
//
// The event time comes from, best first: TimeCreated_SystemTime (or
// TimeCreated.SystemTime), TimeCreated, @timestamp/timestamp, EventTime /
// TimeGenerated / time, Sysmon's UtcTime, then the same names nested. It
// accepts RFC 3339 with any number of fraction digits and numeric or no
// zone (no zone means UTC), "2006-01-02 15:04:05.000", and Unix epochs in
// s, ms, µs or ns. It is stored in UTC at full precision. Events without a
// time are counted in Stats.NoTime.
//
// Every event is then normalised by winevent.Normalize, as EVTX events
// are: a Sysmon event's time is its UtcTime whatever TimeCreated says
// (winevent.TimeField), Defender's spaced field names lose their spaces,
// and a classic PowerShell event with a Message and no Data gets the
// message's details as Data. A flat event also gets the System names
// (Provider_Name, Computer, ...) of the fields its collector names
// otherwise (winevent.FlatAliases).
package json
