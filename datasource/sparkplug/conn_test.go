package sparkplug

import (
	"context"
	"crypto/tls"
	"testing"

	"github.com/vigil-hmi/vigil/datasource/sparkplug/sparkplugtest"
)

func TestDialSpeaksTLSAndUsernamePassword(t *testing.T) {
	srv, roots := sparkplugtest.Certificate(t)
	b := sparkplugtest.StartWith(t, sparkplugtest.Options{TLS: srv, Users: map[string]string{"station1": "s3cret"}})
	cases := []struct {
		name   string
		broker Broker
		ok     bool
	}{
		{"the right user over TLS with the broker's CA connects", Broker{URL: b.URL(), Username: "station1", Password: "s3cret", TLS: &tls.Config{RootCAs: roots}}, true},
		{"a wrong password is refused", Broker{URL: b.URL(), Username: "station1", Password: "nope", TLS: &tls.Config{RootCAs: roots}}, false},
		{"no credentials are refused", Broker{URL: b.URL(), TLS: &tls.Config{RootCAs: roots}}, false},
		{"a broker certificate from an unknown CA is refused", Broker{URL: b.URL(), Username: "station1", Password: "s3cret"}, false},
		{"plain TCP to the TLS port fails", Broker{URL: "tcp://" + b.Addr(), Username: "station1", Password: "s3cret"}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), deadline)
			defer cancel()
			c.broker.ClientID = "tls-test"
			conn, err := Dial(ctx, c.broker, nil, nil)
			if (err == nil) != c.ok {
				t.Fatalf("Dial: %v, want ok %v", err, c.ok)
			}
			if conn != nil {
				if err := conn.Close(); err != nil {
					t.Error(err)
				}
			}
		})
	}
}

func TestBrokerURLsAreCheckedBeforeDialling(t *testing.T) {
	for _, u := range []string{"", "http://h:1", "tcp://", "tcp://:1883", "%zz"} {
		if err := CheckURL(u); err == nil {
			t.Errorf("CheckURL(%q) accepted it", u)
		}
	}
	for _, u := range []string{"tcp://h", "mqtt://h:1", "ssl://h", "tls://h:8883", "mqtts://[::1]:8883"} {
		if err := CheckURL(u); err != nil {
			t.Errorf("CheckURL(%q): %v", u, err)
		}
	}
}
