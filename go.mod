module github.com/loghunt/loghunt

go 1.26.8

require (
	github.com/bradleyjkemp/sigma-go v0.6.6
	golang.org/x/sync v0.18.0
	gopkg.in/yaml.v3 v3.0.1
)

require github.com/alecthomas/participle v0.7.1 // indirect
