module github.com/loghunt/loghunt

go 1.26.8

require golang.org/x/sync v0.18.0
