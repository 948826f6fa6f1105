package schema

import "strings"

// dfciSysmon adds a DeviceFileCertificateInfo row from a Sysmon 7 (image
// loaded) or 6 (driver loaded): Sysmon checks the loaded file's signature
// and writes Signed, Signature (the signer) and SignatureStatus, with the
// file's Hashes. An event without Signed (a configuration or schema that
// does not record it) makes no row. Defender's table holds the result of
// its own periodic certificate checks; here every load that Sysmon
// recorded is one check, so a file loaded often has many rows.
func (b *Builder) dfciSysmon(v *view) {
	signed := strings.TrimSpace(v.get("Signed"))
	if signed == "" {
		return
	}
	w := b.newRow(b.dfci, v.event(), v.time)
	b.device(w, v, v.event())
	h := parseHashes(v.get("Hashes"))
	w.str("SHA1", h.sha1)
	isSigned := strings.EqualFold(signed, "true")
	w.set("IsSigned", isSigned)
	if isSigned {
		w.str("Signer", dash(strings.TrimSpace(v.get("Signature"))))
	}
	// WinVerifyTrust's verdict is Sysmon's SignatureStatus: "Valid" is a
	// trusted signature; anything else (Expired, Revoked, Unavailable,
	// errors) is not. An unsigned file is not trusted.
	if st := strings.TrimSpace(v.get("SignatureStatus")); st != "" || !isSigned {
		w.set("IsTrusted", isSigned && strings.EqualFold(st, "Valid"))
	}
}
