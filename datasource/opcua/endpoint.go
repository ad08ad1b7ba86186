package opcua

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/gopcua/opcua/ua"
)

// policies are the security policies Vigil offers, by project-file name.
var policies = map[string]string{
	"None":                  ua.SecurityPolicyURINone,
	"Basic256Sha256":        ua.SecurityPolicyURIBasic256Sha256,
	"Aes128_Sha256_RsaOaep": ua.SecurityPolicyURIAes128Sha256RsaOaep,
	"Aes256_Sha256_RsaPss":  ua.SecurityPolicyURIAes256Sha256RsaPss,
}

var modes = map[string]ua.MessageSecurityMode{
	"None":           ua.MessageSecurityModeNone,
	"Sign":           ua.MessageSecurityModeSign,
	"SignAndEncrypt": ua.MessageSecurityModeSignAndEncrypt,
}

// parseSecurity checks a device's policy and mode ("" means None).
func parseSecurity(policy, mode string) (string, ua.MessageSecurityMode, error) {
	if policy == "" {
		policy = "None"
	}
	if mode == "" {
		mode = "None"
	}
	uri, ok := policies[policy]
	if !ok {
		return "", 0, fmt.Errorf("security_policy %q: want None, Basic256Sha256, Aes128_Sha256_RsaOaep or Aes256_Sha256_RsaPss", policy)
	}
	m, ok := modes[mode]
	if !ok {
		return "", 0, fmt.Errorf("security_mode %q: want None, Sign or SignAndEncrypt", mode)
	}
	if (policy == "None") != (m == ua.MessageSecurityModeNone) {
		return "", 0, fmt.Errorf("security_mode %s does not go with security_policy %s (mode None iff policy None)", mode, policy)
	}
	return uri, m, nil
}

func policyName(uri string) string {
	return strings.TrimPrefix(uri, "http://opcfoundation.org/UA/SecurityPolicy#")
}

func modeName(m ua.MessageSecurityMode) string {
	return strings.TrimPrefix(m.String(), "MessageSecurityMode")
}

// selectEndpoint returns the endpoint with policy and mode, or an error that
// lists what the server offers.
func selectEndpoint(eps []*ua.EndpointDescription, policy string, mode ua.MessageSecurityMode) (*ua.EndpointDescription, error) {
	if len(eps) == 0 {
		return nil, errors.New("the server returned no endpoints for this URL (servers answer only for the host names they know themselves by: try the one `vigil browse` or the server's configuration shows)")
	}
	var offered []string
	for _, ep := range eps {
		if ep.SecurityPolicyURI == policy && ep.SecurityMode == mode {
			return ep, nil
		}
		offered = append(offered, policyName(ep.SecurityPolicyURI)+"/"+modeName(ep.SecurityMode))
	}
	sort.Strings(offered)
	return nil, fmt.Errorf("%w: the server does not offer security %s/%s (it offers %s)",
		ErrSecurityRefused, policyName(policy), modeName(mode), strings.Join(dedup(offered), ", "))
}

func dedup(s []string) []string {
	var out []string
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}
