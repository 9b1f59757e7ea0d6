package dataset

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoaders(t *testing.T) {
	tests := []struct {
		kind, file string
		convs      int
		turns      []int  // turns per conversation
		first      string // first turn's last message
		system     string // first turn's system prompt, if any
		offset     bool
	}{
		{"arena", "arena.jsonl", 3, []int{2, 1, 3}, "Name three colours of a rainbow.", "", true},
		{"oasst1", "oasst1.jsonl", 2, []int{1, 2}, "Explain photosynthesis in one sentence.", "", true},
		{"dolly", "dolly.jsonl", 2, []int{1, 1}, "Summarise the paragraph below.\nThe kettle whistled while the cat slept on the warm windowsill.", "", false},
		{"openorca", "openorca.jsonl", 3, []int{1, 1, 1}, "Translate 'good morning' into French.", "You are a helpful assistant who answers briefly.", true},
		{"sharegpt", "sharegpt.json", 2, []int{2, 1}, "Suggest a name for a grey cat.", "", false},
		{"jsonl", "prompts.jsonl", 3, []int{1, 2, 1}, "Say hello.", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			convs, err := LoadConversations(tt.kind, filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if len(convs) != tt.convs {
				t.Fatalf("%d conversations, want %d", len(convs), tt.convs)
			}
			for i, c := range convs {
				if len(c.Turns) != tt.turns[i] {
					t.Errorf("conversation %d: %d turns, want %d", i, len(c.Turns), tt.turns[i])
				}
				if c.HasOffset != tt.offset {
					t.Errorf("conversation %d: has offset %v", i, c.HasOffset)
				}
				for _, turn := range c.Turns {
					for _, m := range turn.Messages {
						if m.Role == "assistant" {
							t.Errorf("conversation %d carries a recorded answer: live answers must replace them", i)
						}
					}
				}
			}
			msgs := convs[0].Turns[0].Messages
			if msgs[len(msgs)-1].Content != tt.first {
				t.Errorf("first prompt %q, want %q", msgs[len(msgs)-1].Content, tt.first)
			}
			if tt.system != "" && (msgs[0].Role != "system" || msgs[0].Content != tt.system) {
				t.Errorf("first turn %v lacks the system prompt %q", msgs, tt.system)
			}
		})
	}
}

func TestLoaderDetails(t *testing.T) {
	arena, _ := LoadConversations("arena", "testdata/arena.jsonl")
	if arena[0].Offset != 1682351591.1322 || arena[0].ID != "q-0001" {
		t.Errorf("arena offset %v id %q", arena[0].Offset, arena[0].ID)
	}
	// oasst1 follows the earliest reply: m-a-1 (15:00) before m-a-2 (16:00), then m-p-2.
	oasst, _ := LoadConversations("oasst1", "testdata/oasst1.jsonl")
	if got := oasst[1].Turns[1].Messages[0].Content; got != "And for a soft yolk?" {
		t.Errorf("oasst1 second turn %q", got)
	}
	jsonl, _ := LoadConversations("jsonl", "testdata/prompts.jsonl")
	if jsonl[0].Turns[0].MaxTokens != 8 || jsonl[1].Turns[1].Messages[0].Content != "And of Spain?" || jsonl[2].Offset != 2 {
		t.Errorf("jsonl: %+v", jsonl)
	}
}

// Every bad file gets an error naming the file, the row and the field.
func TestLoaderErrors(t *testing.T) {
	tests := []struct {
		kind, content, want string
	}{
		{"arena", `{"tstamp": 1}`, `row 1: field "conversation_a": missing`},
		{"arena", `{"conversation_a": "hi", "tstamp": 1}`, `row 1: field "conversation_a": want a list, got a string`},
		{"arena", `{"conversation_a": [{"role": "user"}], "tstamp": 1}`, `row 1: field "conversation_a[0]": want "role" and "content" strings`},
		{"arena", "{\"conversation_a\": [], \"tstamp\": 1}\n{\"conversation_a\": [{\"role\": \"user\", \"content\": \"x\"}], \"tstamp\": \"late\"}", `row 2: field "tstamp": want a number, got a string`},
		{"oasst1", `{"message_id": "a", "role": "prompter"}`, `row 1: field "text": missing`},
		{"oasst1", `{"message_id": "a", "role": "robot", "text": "x"}`, `row 1: field "role": want prompter or assistant`},
		{"oasst1", `{"message_id": "a", "parent_id": "zz", "role": "assistant", "text": "x"}`, `row 1: field "parent_id": no message "zz"`},
		{"oasst1", `{"message_id": "a", "role": "prompter", "text": "x", "created_date": "yesterday"}`, `row 1: field "created_date": want an RFC 3339 time`},
		{"dolly", `{"context": "c"}`, `row 1: field "instruction": missing`},
		{"dolly", `{"instruction": 5}`, `row 1: field "instruction": want a string, got a number`},
		{"openorca", `{"system_prompt": "s"}`, `row 1: field "question": missing`},
		{"sharegpt", `[{"conversations": [{"from": "martian", "value": "x"}]}]`, `row 1: field "conversations[0]": want {from: human|gpt|system`},
		{"jsonl", `{"max_tokens": 3}`, `row 1: field "prompt": missing`},
		{"jsonl", `{"prompt": "x", "max_tokens": "many"}`, `row 1: field "max_tokens": want a number`},
		{"jsonl", "{\"prompt\": \"x\"}\n{\"prompt\": ", `line 2: unexpected end of JSON input`},
		{"jsonl", "", `the file is empty`},
		{"jsonl", "[1, 2]", `not a JSON array of objects`},
		{"dolly", `{"instruction": "x"}`, ``},
	}
	for _, tt := range tests {
		dir := t.TempDir()
		path := filepath.Join(dir, "data.jsonl")
		if strings.HasPrefix(tt.content, "[") {
			path = filepath.Join(dir, "data.json")
		}
		os.WriteFile(path, []byte(tt.content), 0o644)
		_, err := LoadConversations(tt.kind, path)
		if tt.want == "" {
			if err != nil {
				t.Errorf("%s %q: %v", tt.kind, tt.content, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), path) {
			t.Errorf("%s %q:\n got %v\nwant the file name and %q", tt.kind, tt.content, err, tt.want)
		}
	}
	if _, err := LoadConversations("imdb", "testdata/dolly.jsonl"); err == nil || !strings.Contains(err.Error(), `unknown dataset "imdb"`) {
		t.Errorf("unknown kind: %v", err)
	}
	if _, err := LoadConversations("dolly", "testdata/missing.jsonl"); err == nil {
		t.Error("missing file accepted")
	}
}

func FuzzLoaders(f *testing.F) {
	for _, name := range []string{"arena.jsonl", "oasst1.jsonl", "dolly.jsonl", "openorca.jsonl", "sharegpt.json", "prompts.jsonl"} {
		b, _ := os.ReadFile(filepath.Join("testdata", name))
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, err := readJSONRows("fuzz.jsonl", bytes.NewReader(data))
		if err != nil {
			return
		}
		for kind, extract := range fileKinds {
			convs, err := extract("fuzz.jsonl", rows)
			if err != nil && !strings.HasPrefix(err.Error(), "fuzz.jsonl: row ") {
				t.Fatalf("%s: error without file and row: %v", kind, err)
			}
			for _, c := range convs {
				if len(c.Turns) == 0 {
					t.Fatalf("%s: a conversation without turns", kind)
				}
			}
		}
	})
}
