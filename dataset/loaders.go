package dataset

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/inferno-llm/inferno/traces"
)

// Kinds of prompt source read from files.
var fileKinds = map[string]func(file string, rows []Row) ([]Conversation, error){
	"arena":    arenaConversations,
	"oasst1":   oasst1Conversations,
	"dolly":    dollyConversations,
	"openorca": openorcaConversations,
	"sharegpt": sharegptConversations,
	"jsonl":    jsonlConversations,
}

// FileKinds lists the dataset kinds read from files, the public traces'
// formats included.
func FileKinds() []string {
	formats := traces.Formats()
	out := make([]string, 0, len(fileKinds)+len(formats))
	for k := range fileKinds {
		out = append(out, k)
	}
	out = append(out, formats...)
	sort.Strings(out)
	return out
}

// LoadConversations reads a data file as the named kind.
func LoadConversations(kind, path string) ([]Conversation, error) {
	extract, ok := fileKinds[kind]
	if !ok {
		return nil, fmt.Errorf("unknown dataset %q (want synthetic or one of %s)", kind, strings.Join(FileKinds(), ", "))
	}
	rows, err := ReadRows(path)
	if err != nil {
		return nil, err
	}
	convs, err := extract(path, rows)
	if err != nil {
		return nil, err
	}
	if len(convs) == 0 {
		return nil, fmt.Errorf("%s: no prompts found for dataset %s", path, kind)
	}
	return convs, nil
}

// messages reads a list of {role, content} objects (arena, JSONL).
func messages(file string, row int, field string, items []any, roleKey, contentKey string) ([]Message, error) {
	out := make([]Message, 0, len(items))
	for i, it := range items {
		m, ok := it.(map[string]any)
		if !ok {
			return nil, rowError(file, row, fmt.Sprintf("%s[%d]", field, i), "want an object, got %s", typeName(it))
		}
		role, _ := m[roleKey].(string)
		content, ok := m[contentKey].(string)
		if role == "" || !ok {
			return nil, rowError(file, row, fmt.Sprintf("%s[%d]", field, i), "want %q and %q strings", roleKey, contentKey)
		}
		out = append(out, Message{Role: role, Content: content})
	}
	return out, nil
}

// turnsFrom splits a recorded conversation into turns at each user
// message; recorded assistant messages are dropped (live answers replace
// them); a leading system message joins the first turn.
func turnsFrom(msgs []Message) []Turn {
	var turns []Turn
	var pending []Message
	for _, m := range msgs {
		switch m.Role {
		case "system":
			pending = append(pending, m)
		case "user":
			turns = append(turns, Turn{Messages: append(pending, m)})
			pending = nil
		}
	}
	return turns
}

// arena: lmsys/chatbot_arena_conversations. Every user turn of
// conversation_a, timed by tstamp (Unix seconds).
func arenaConversations(file string, rows []Row) ([]Conversation, error) {
	var out []Conversation
	for i, r := range rows {
		n := i + 1
		items, err := list(file, n, r, "conversation_a")
		if err != nil {
			return nil, err
		}
		msgs, err := messages(file, n, "conversation_a", items, "role", "content")
		if err != nil {
			return nil, err
		}
		ts, has, err := num(file, n, r, "tstamp")
		if err != nil {
			return nil, err
		}
		id, err := str(file, n, r, "question_id", false)
		if err != nil {
			return nil, err
		}
		if turns := turnsFrom(msgs); len(turns) > 0 {
			out = append(out, Conversation{ID: id, Offset: ts, HasOffset: has, Turns: turns})
		}
	}
	return out, nil
}

// oasst1: OpenAssistant/oasst1. Messages form trees through parent_id;
// each tree's main thread (the earliest reply at each step) is one
// conversation of its prompter messages, timed by the root's created_date.
func oasst1Conversations(file string, rows []Row) ([]Conversation, error) {
	type node struct {
		id, parent, role, text string
		created                time.Time
		row                    int
	}
	nodes := map[string]*node{}
	children := map[string][]*node{}
	var roots []*node
	for i, r := range rows {
		n := i + 1
		var nd node
		var err error
		if nd.id, err = str(file, n, r, "message_id", true); err != nil {
			return nil, err
		}
		if nd.parent, err = str(file, n, r, "parent_id", false); err != nil {
			return nil, err
		}
		if nd.role, err = str(file, n, r, "role", true); err != nil {
			return nil, err
		}
		if nd.role != "prompter" && nd.role != "assistant" {
			return nil, rowError(file, n, "role", "want prompter or assistant, got %q", nd.role)
		}
		if nd.text, err = str(file, n, r, "text", true); err != nil {
			return nil, err
		}
		created, err := str(file, n, r, "created_date", false)
		if err != nil {
			return nil, err
		}
		if created != "" {
			if nd.created, err = time.Parse(time.RFC3339Nano, created); err != nil {
				return nil, rowError(file, n, "created_date", "want an RFC 3339 time, got %q", created)
			}
		}
		nd.row = n
		p := &nd
		nodes[nd.id] = p
		if nd.parent == "" {
			roots = append(roots, p)
		} else {
			children[nd.parent] = append(children[nd.parent], p)
		}
	}
	for parent, kids := range children {
		if nodes[parent] == nil {
			return nil, rowError(file, kids[0].row, "parent_id", "no message %q in the file", parent)
		}
		sort.SliceStable(kids, func(i, j int) bool { return kids[i].created.Before(kids[j].created) })
	}
	var out []Conversation
	for _, root := range roots {
		c := Conversation{ID: root.id, HasOffset: !root.created.IsZero()}
		if c.HasOffset {
			c.Offset = float64(root.created.UnixNano()) / 1e9
		}
		seen := map[string]bool{}
		for n := root; n != nil && !seen[n.id]; {
			seen[n.id] = true
			if n.role == "prompter" {
				c.Turns = append(c.Turns, Turn{Messages: []Message{{Role: "user", Content: n.text}}})
			}
			kids := children[n.id]
			if len(kids) == 0 {
				break
			}
			n = kids[0]
		}
		if len(c.Turns) > 0 {
			out = append(out, c)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Offset < out[j].Offset })
	return out, nil
}

// dolly: databricks-dolly-15k. "instruction\ncontext", as the old tool sent it.
func dollyConversations(file string, rows []Row) ([]Conversation, error) {
	var out []Conversation
	for i, r := range rows {
		n := i + 1
		instruction, err := str(file, n, r, "instruction", true)
		if err != nil {
			return nil, err
		}
		context, err := str(file, n, r, "context", false)
		if err != nil {
			return nil, err
		}
		prompt := instruction
		if context != "" {
			prompt += "\n" + context
		}
		out = append(out, Conversation{ID: fmt.Sprint(n), Turns: []Turn{{Messages: []Message{{Role: "user", Content: prompt}}}}})
	}
	return out, nil
}

// openorca: Open-Orca/OpenOrca. question with its system_prompt; row i
// is timed at i seconds, as the old tool replayed it.
func openorcaConversations(file string, rows []Row) ([]Conversation, error) {
	var out []Conversation
	for i, r := range rows {
		n := i + 1
		question, err := str(file, n, r, "question", true)
		if err != nil {
			return nil, err
		}
		system, err := str(file, n, r, "system_prompt", false)
		if err != nil {
			return nil, err
		}
		id, err := str(file, n, r, "id", false)
		if err != nil {
			return nil, err
		}
		var msgs []Message
		if system != "" {
			msgs = append(msgs, Message{Role: "system", Content: system})
		}
		msgs = append(msgs, Message{Role: "user", Content: question})
		out = append(out, Conversation{ID: id, Offset: float64(i), HasOffset: true, Turns: []Turn{{Messages: msgs}}})
	}
	return out, nil
}

// sharegpt: the ShareGPT JSON of vLLM's benchmarks: conversations of
// {from: human|gpt|system, value}.
func sharegptConversations(file string, rows []Row) ([]Conversation, error) {
	roles := map[string]string{"human": "user", "user": "user", "gpt": "assistant", "chatgpt": "assistant",
		"bard": "assistant", "bing": "assistant", "assistant": "assistant", "system": "system"}
	var out []Conversation
	for i, r := range rows {
		n := i + 1
		items, err := list(file, n, r, "conversations")
		if err != nil {
			return nil, err
		}
		var msgs []Message
		for j, it := range items {
			m, ok := it.(map[string]any)
			from, _ := m["from"].(string)
			value, okValue := m["value"].(string)
			role, known := roles[from]
			if !ok || !okValue || !known {
				return nil, rowError(file, n, fmt.Sprintf("conversations[%d]", j), "want {from: human|gpt|system, value: string}")
			}
			msgs = append(msgs, Message{Role: role, Content: value})
		}
		id, _ := r["id"].(string)
		if turns := turnsFrom(msgs); len(turns) > 0 {
			out = append(out, Conversation{ID: id, Turns: turns})
		}
	}
	return out, nil
}

// jsonl: Inferno's own schema. Each row is a turn with "prompt" (a string)
// or "messages" ([{role, content}]); optional "max_tokens", "timestamp"
// (seconds) and "session_id" (rows sharing one form a conversation, in
// file order).
func jsonlConversations(file string, rows []Row) ([]Conversation, error) {
	var out []Conversation
	bySession := map[string]int{}
	for i, r := range rows {
		n := i + 1
		var turn Turn
		prompt, err := str(file, n, r, "prompt", false)
		if err != nil {
			return nil, err
		}
		if _, hasMessages := r["messages"]; hasMessages {
			items, err := list(file, n, r, "messages")
			if err != nil {
				return nil, err
			}
			if turn.Messages, err = messages(file, n, "messages", items, "role", "content"); err != nil {
				return nil, err
			}
		} else if prompt != "" {
			turn.Messages = []Message{{Role: "user", Content: prompt}}
		} else {
			return nil, rowError(file, n, "prompt", "missing (give prompt or messages)")
		}
		if err := jsonlImages(file, n, r, &turn); err != nil {
			return nil, err
		}
		maxTokens, has, err := num(file, n, r, "max_tokens")
		if err != nil {
			return nil, err
		}
		if has {
			turn.MaxTokens = int(maxTokens)
		}
		ts, hasTS, err := num(file, n, r, "timestamp")
		if err != nil {
			return nil, err
		}
		session, err := str(file, n, r, "session_id", false)
		if err != nil {
			return nil, err
		}
		if idx, ok := bySession[session]; ok && session != "" {
			out[idx].Turns = append(out[idx].Turns, turn)
			continue
		}
		if session != "" {
			bySession[session] = len(out)
		}
		out = append(out, Conversation{ID: session, Offset: ts, HasOffset: hasTS, Turns: []Turn{turn}})
	}
	return out, nil
}
