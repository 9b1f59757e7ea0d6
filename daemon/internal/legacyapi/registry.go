package legacyapi

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/inferno-llm/inferno/config"
)

// registeredTest is a registered test: a run that may not have started yet.
type registeredTest struct {
	id       string
	nickname string
	created  time.Time
	target   *config.Target
	workload *config.Workload
}

type registry struct {
	mu    sync.Mutex
	byID  map[string]*registeredTest
	names map[string]string // nicknames of started and archived tests too
	// claimed holds ids between their registration (or start) and their
	// run's entry in the run registry, which then refuses a second one.
	claimed map[string]bool
}

func newRegistry() *registry {
	return &registry{byID: map[string]*registeredTest{}, names: map[string]string{}, claimed: map[string]bool{}}
}

var errTooManyTests = errors.New("too many registered tests waiting to be started (limits.max_registered_tests); start or let some expire")

// claim registers a test unless its id is taken (by a test or a run);
// keep holds it as registered-but-unstarted, within the limits: expired
// tests are dropped first, and a full registry refuses it.
func (l *registry) claim(t *registeredTest, exists func(string) bool, lim config.Limits, keep bool) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.claimed[t.id] || l.byID[t.id] != nil || exists(t.id) {
		return fmt.Errorf("test %s already exists", t.id)
	}
	if keep {
		for id, old := range l.byID {
			if time.Since(old.created) > lim.RegisteredTestExpiry.D() {
				delete(l.byID, id)
			}
		}
		if len(l.byID) >= lim.MaxRegisteredTests {
			return errTooManyTests
		}
		l.byID[t.id] = t
	}
	l.claimed[t.id] = true
	if t.nickname != "" {
		if len(l.names) >= maxNicknames {
			for id := range l.names { // any one: the oldest are as good as gone
				delete(l.names, id)
				break
			}
		}
		l.names[t.id] = t.nickname
	}
	return nil
}

// forget drops the nickname of a test that was refused after its claim.
func (l *registry) forget(id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.names, id)
}

// Caps on what the old API keeps: a nickname's length, and how many
// nicknames (one per test ever registered, archived ones included).
const (
	maxNickname  = 256
	maxNicknames = 10000
)

// take removes and returns a registered test, nil if there is none or it
// expired.
func (l *registry) take(id string) *registeredTest {
	l.mu.Lock()
	defer l.mu.Unlock()
	t := l.byID[id]
	delete(l.byID, id)
	if t != nil {
		l.claimed[id] = true
	}
	return t
}

func (l *registry) release(id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.claimed, id)
}

func (l *registry) byIDPut(t *registeredTest) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.byID[t.id] = t
}

func (l *registry) get(id string) *registeredTest {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.byID[id]
}

func (l *registry) nickname(id string) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.names[id]
}

func (l *registry) list() []*registeredTest {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]*registeredTest, 0, len(l.byID))
	for _, t := range l.byID {
		out = append(out, t)
	}
	return out
}
