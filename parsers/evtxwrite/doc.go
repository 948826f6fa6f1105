// Package evtxwrite writes Windows XML Event Log (EVTX) files: the file
// header, 64 KiB chunks with their string and template tables, BinXml
// template definitions shared by the records of a chunk, substitution
// values of every type the decoder in parsers/evtx reads, and every
// checksum (file header, chunk header, event records).
//
// Entry points:
//   - New returns a Writer over an io.WriteSeeker (an *os.File). Call
//     Write for each parsers.Event, WriteJSON for each event in the
//     evtx_dump JSON shape (what "loghunt dump --format jsonl" prints), or
//     WriteRecord for a Record built element by element with typed values;
//     then Close, which writes the file header. The Writer never closes
//     the underlying file.
//   - Record is the general form: an element tree with typed values.
//     Write and WriteJSON build one and call WriteRecord.
//
// Each distinct record shape (its elements, attributes, literal texts and
// the types of its values) becomes one template, defined once per chunk
// at its first use and instantiated by the chunk's later records with
// their substitution values, as Windows writes them.
//
// How Write maps a normalized event back to XML (the inverse of the
// decoder's naming, see parsers.Field): fields with the System names
// (EventID, Provider_Name, TimeCreated_SystemTime, ProcessID, ...) form the
// <System> element when they lead the fields in the canonical Windows
// order of System (as the decoder gives them); the first field that is not
// the next System field starts EventData, whatever its name. Core fields of the Event fill what is missing (EventID,
// Channel, Provider, Computer, Level when not zero). The record header
// holds Time and RecordID (the decoder falls back to them when System has
// no TimeCreated or EventRecordID; a RecordID of 0 takes the next id of the
// Writer's sequence). Every other field
// becomes <Data Name="name">value</Data> in <EventData>, in order, so the
// decoder reads back the same fields in the same order. Values are typed
// when their text is exactly what the decoder renders for a type (decimal
// integers, 0x hex, upper-case {GUID}s, SIDs, true/false, FILETIME
// timestamps); otherwise they are strings. Options.Strings turns this off.
//
// What cannot round-trip, by the format: text is stored as UTF-16, so
// bytes that are not valid UTF-8 become U+FFFD, and trailing NUL
// characters are dropped (the decoder reads them as terminators). A field
// with an empty name, or named "Data", reads back as "Data".
//
// Errors say where: a *WriteError names the event (0-based count of Write
// calls), its record id and the field, and wraps a sentinel (ErrTooLarge,
// ErrBadValue, ErrFull, ErrClosed). An error about one event is not final:
// nothing of that event was written and the next Write may go on. An
// error of the underlying writer is final. No input makes the writer
// panic.
//
// A Writer is not safe for concurrent use.
package evtxwrite
