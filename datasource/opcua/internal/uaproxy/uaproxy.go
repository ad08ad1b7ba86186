// Package uaproxy is a TCP proxy in front of gopcua's server. The gopcua
// server's Close does not close its clients' connections (it waits up to 10s
// for them to hang up) and leaves their goroutines behind; with the proxy in
// front, a server can cut every connection at once, as a restart or a
// network failure does.
package uaproxy

import (
	"io"
	"net"
	"sync"
)

// Proxy forwards every connection accepted on its address to a target.
type Proxy struct {
	l      net.Listener
	target string

	mu    sync.Mutex // guards conns
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
}

// Listen starts a Proxy on addr forwarding to target.
func Listen(addr, target string) (*Proxy, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	p := &Proxy{l: l, target: target, conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.l.Accept()
		if err != nil {
			return // listener closed
		}
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		if !p.track(c, s) {
			return
		}
		p.wg.Add(2)
		go p.pipe(c, s)
		go p.pipe(s, c)
	}
}

func (p *Proxy) track(cs ...net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.conns == nil {
		for _, c := range cs {
			c.Close()
		}
		return false
	}
	for _, c := range cs {
		p.conns[c] = struct{}{}
	}
	return true
}

func (p *Proxy) pipe(dst, src net.Conn) {
	defer p.wg.Done()
	// The copy ends when either side closes; an error here is that close.
	_, _ = io.Copy(dst, src)
	dst.Close()
	src.Close()
	p.mu.Lock()
	if p.conns != nil {
		delete(p.conns, dst)
		delete(p.conns, src)
	}
	p.mu.Unlock()
}

// Drop cuts every open connection, keeping the listener.
func (p *Proxy) Drop() int {
	p.mu.Lock()
	n := len(p.conns) / 2
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	return n
}

// Close stops listening, cuts every connection and waits.
func (p *Proxy) Close() {
	p.l.Close()
	p.mu.Lock()
	for c := range p.conns {
		c.Close()
	}
	p.conns = nil
	p.mu.Unlock()
	p.wg.Wait()
}
