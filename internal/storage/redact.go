package storage

import (
	"errors"
	"net/url"
	"strings"
)

// publicParams are the URL query parameters of gocloud drivers that carry
// no secret; Redact keeps their values so errors still say which region or
// endpoint was used. Every other parameter may be a credential (an Azure
// SAS signature, a token) and has its value hidden.
var publicParams = map[string]bool{
	"region": true, "endpoint": true, "hostname_immutable": true, "disableSSL": true, "disable_https": true,
	"s3ForcePathStyle": true, "use_path_style": true, "awssdk": true, "profile": true, "fips": true,
	"dualstack": true, "accelerate": true, "anonymous": true, "localemu": true, "protocol": true,
	"domain": true, "cdn": true, "prefix": true, "storage_account": true, "no_md5": true, "nomd5": true,
}

const redacted = "REDACTED"

// Redact returns a location fit for error messages and logs: userinfo
// (a password, or a token given as user name) and the values of query
// parameters that may be credentials are replaced by REDACTED, and any
// fragment is dropped. A string that does not parse as a URL is cut the
// same way by position.
func Redact(raw string) string {
	if !strings.Contains(raw, "://") {
		return raw // a local path (or file:/x) holds no credentials
	}
	u, err := url.Parse(raw)
	if err != nil {
		return redactUnparsed(raw)
	}
	if u.User == nil && u.RawQuery == "" && u.Fragment == "" && !u.ForceQuery {
		return raw // unchanged, in the caller's spelling
	}
	if u.User != nil {
		u.User = url.User(redacted)
	}
	if u.RawQuery != "" {
		q, err := url.ParseQuery(u.RawQuery)
		if err != nil {
			u.RawQuery = redacted
		} else {
			for k := range q {
				if !publicParams[k] {
					q[k] = []string{redacted}
				}
			}
			u.RawQuery = q.Encode()
		}
	}
	u.Fragment, u.RawFragment = "", ""
	return u.String()
}

func redactUnparsed(raw string) string {
	if i := strings.IndexAny(raw, "?#"); i >= 0 {
		raw = raw[:i] + "?" + redacted
	}
	if i := strings.Index(raw, "://"); i >= 0 {
		rest := raw[i+3:]
		host := rest
		if j := strings.IndexByte(rest, '/'); j >= 0 {
			host = rest[:j]
		}
		if at := strings.LastIndexByte(host, '@'); at >= 0 {
			raw = raw[:i+3] + redacted + rest[at:]
		}
	}
	return raw
}

// urlErrCause drops the quoted URL a *url.Error carries, leaving only the
// reason, so wrapping a parse error cannot leak the URL's secrets.
func urlErrCause(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// redactErr is err for messages about rawURL: when a driver's error quotes
// the URL, or the query or userinfo it holds, those parts are redacted in
// the text; the error stays matchable with errors.Is and As.
func redactErr(err error, rawURL string) error {
	msg := err.Error()
	clean := strings.ReplaceAll(msg, rawURL, Redact(rawURL))
	for _, secret := range secretsOf(rawURL) {
		clean = strings.ReplaceAll(clean, secret, redacted)
	}
	if clean == msg {
		return err
	}
	return &redactedError{msg: clean, err: err}
}

// secretsOf lists the substrings of rawURL that may be credentials, the
// longest first: its query, userinfo, and each non-public query value.
// Strings shorter than 6 bytes are left out: they are no secret, and
// replacing them would garble the message.
func secretsOf(rawURL string) []string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil
	}
	var out []string
	add := func(s string) {
		if len(s) >= 6 {
			out = append(out, s)
		}
	}
	if u.RawQuery != "" {
		add(u.RawQuery)
		if q, err := url.ParseQuery(u.RawQuery); err == nil {
			for k, vs := range q {
				for _, v := range vs {
					if !publicParams[k] {
						add(url.QueryEscape(v))
						add(v)
					}
				}
			}
		}
	}
	if u.User != nil {
		add(u.User.String())
		if p, ok := u.User.Password(); ok {
			add(p)
		}
		add(u.User.Username())
	}
	return out
}

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }
