package legacyapi

import (
	"errors"
	"testing"
	"time"

	"github.com/inferno-llm/inferno/config"
)

// Registered tests expire, and make room for new ones.
func TestRegisteredTestsExpire(t *testing.T) {
	l := newRegistry()
	lim := config.DefaultLimits()
	lim.MaxRegisteredTests = 1
	none := func(string) bool { return false }
	old := &registeredTest{id: "old", created: time.Now().Add(-2 * lim.RegisteredTestExpiry.D())}
	if err := l.claim(old, none, lim, true); err != nil {
		t.Fatal(err)
	}
	l.release("old")
	if err := l.claim(&registeredTest{id: "new", created: time.Now()}, none, lim, true); err != nil {
		t.Fatalf("an expired test still takes the only place: %v", err)
	}
	if l.get("old") != nil {
		t.Error("the expired test is still registered")
	}
	if err := l.claim(&registeredTest{id: "third", created: time.Now()}, none, lim, true); !errors.Is(err, errTooManyTests) {
		t.Errorf("a second live test: %v", err)
	}
}
