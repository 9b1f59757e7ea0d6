package dataset

import "testing"

func TestPromptText(t *testing.T) {
	single := Prompt{Messages: []Message{{Role: "user", Content: "hi"}}}
	multi := Prompt{Messages: []Message{{Role: "user", Content: "hi"}, {Role: "assistant", Content: "hello"}, {Role: "user", Content: "bye"}}}
	if single.Text() != "hi" || multi.Text() != "user: hi\nassistant: hello\nuser: bye" {
		t.Errorf("got %q and %q", single.Text(), multi.Text())
	}
}
