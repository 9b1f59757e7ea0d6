// Package addrcheck checks the URLs and addresses a config names, and
// matches URLs against allow-lists as a request would reach them. Its
// errors never quote a URL: it may carry a password or a key.
package addrcheck

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// URL checks a target URL: http or https, a host, a valid port.
func URL(raw string) error {
	if strings.ContainsAny(raw, " \t\r\n") {
		return errors.New("contains whitespace")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return errors.New("not a URL (want e.g. http://host:8000/v1)")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return errors.New("the scheme must be http or https")
	}
	if u.Host == "" {
		return errors.New("no host")
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("port %s: want 1 to 65535", p)
		}
	}
	return nil
}

// Listen checks a host:port to listen on.
func Listen(addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("want host:port, e.g. 127.0.0.1:8001: %v", err)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("port %s: want 0 to 65535", port)
	}
	return nil
}

// MatchURL reports whether one of patterns matches raw as parsed,
// rebuilt from its scheme, host, port, path and query: a pattern written
// for http://host:18002 must not pass http://host:18002@other:18004,
// which reaches other. Userinfo and fragments never take part.
func MatchURL(patterns []*regexp.Regexp, raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || u.Opaque != "" || u.User != nil {
		return false
	}
	base := u.Scheme + "://" + u.Host + u.EscapedPath()
	for _, re := range patterns {
		if re.MatchString(base) || (u.RawQuery != "" && re.MatchString(base+"?"+u.RawQuery)) {
			return true
		}
	}
	return false
}

// MatchAny reports whether a pattern matches s.
func MatchAny(patterns []*regexp.Regexp, s string) bool {
	for _, re := range patterns {
		if re.MatchString(s) {
			return true
		}
	}
	return false
}

// Local reports whether addr's host is one this machine can listen
// on: empty or unspecified (every interface), a name that resolves to
// one of its addresses, or one of them.
func Local(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil || host == "" {
		return err
	}
	ips := []net.IP{net.ParseIP(host)}
	if ips[0] == nil {
		if ips, err = net.LookupIP(host); err != nil {
			return err
		}
	}
	own, err := net.InterfaceAddrs()
	if err != nil {
		return err
	}
	for _, ip := range ips {
		if ip.IsUnspecified() || ip.IsLoopback() {
			return nil
		}
		for _, a := range own {
			if n, ok := a.(*net.IPNet); ok && n.IP.Equal(ip) {
				return nil
			}
		}
	}
	return fmt.Errorf("%s is not an address of this machine", host)
}
