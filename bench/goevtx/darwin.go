package main

import "runtime"

// isDarwin: getrusage reports the peak RSS in bytes on macOS, in KiB elsewhere.
var isDarwin = runtime.GOOS == "darwin"
