package json

import "github.com/loghunt/loghunt/parsers/winevent"

// canonicalChannel returns the canonical spelling of a known channel, or c.
// Exporters sometimes lowercase channel names ("security"); the core
// Event.Channel gets the spelling back (winevent.RestoreChannel) so that
// routing by channel works, while the Channel field keeps what the file
// said.
func canonicalChannel(c string) string { return winevent.RestoreChannel(c) }
