package main

import (
	"fmt"
	"os"
	"strings"
	"sync"
)

// leakCheck looks for the stream keys in what onair printed and served.
type leakCheck struct {
	mu    sync.Mutex
	keys  []string
	where []string
	seen  int // debug answers checked
}

func newLeakCheck(dests []dest) *leakCheck {
	l := &leakCheck{}
	for _, d := range dests {
		l.keys = append(l.keys, d.key)
	}
	return l
}

func (l *leakCheck) check(body []byte) {
	l.look("/debug/stats", body)
	l.mu.Lock()
	l.seen++
	l.mu.Unlock()
}

func (l *leakCheck) checkFile(path string) {
	b, err := os.ReadFile(path)
	if err != nil {
		l.mu.Lock()
		l.where = append(l.where, "onair's log is unreadable: "+err.Error())
		l.mu.Unlock()
		return
	}
	l.look("onair's output", b)
}

func (l *leakCheck) look(where string, b []byte) {
	for _, k := range l.keys {
		if strings.Contains(string(b), k) {
			l.mu.Lock()
			l.where = append(l.where, where)
			l.mu.Unlock()
			return
		}
	}
}

func (l *leakCheck) criterion() criterion {
	l.mu.Lock()
	defer l.mu.Unlock()
	c := criterion{Name: "no-key-leak", Pass: len(l.where) == 0}
	if c.Pass {
		c.Detail = fmt.Sprintf("no stream key in onair's output or in %d answers of its debug endpoint", l.seen)
	} else {
		c.Detail = "a stream key appeared in " + strings.Join(l.where, ", ")
	}
	return c
}
