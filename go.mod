module github.com/loghunt/loghunt

go 1.26.8

require (
	github.com/0xrawsec/golang-evtx v1.2.9
	github.com/bradleyjkemp/sigma-go v0.6.6
	github.com/rogpeppe/go-internal v1.16.0
	github.com/schollz/progressbar/v3 v3.19.1
	golang.org/x/sync v0.18.0
	golang.org/x/term v0.44.0
	gopkg.in/yaml.v3 v3.0.1
)

require (
	github.com/0xrawsec/golang-utils v1.3.0 // indirect
	github.com/alecthomas/participle v0.7.1 // indirect
	github.com/mitchellh/colorstring v0.0.0-20190213212951-d06e56a500db // indirect
	github.com/rivo/uniseg v0.4.7 // indirect
	golang.org/x/sys v0.46.0 // indirect
	golang.org/x/tools v0.26.0 // indirect
)
