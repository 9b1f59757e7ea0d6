package simulator

import (
	"bytes"
	"encoding/json"
)

// chatWords is a chat message's content: a string of words, or a list
// of parts (text and image_url), as vision models take it.
type chatWords struct {
	promptText // the words of its text parts and their prefix blocks
	images     int
}

func (c *chatWords) UnmarshalJSON(b []byte) error {
	*c = chatWords{}
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '[' {
		return c.promptText.UnmarshalJSON(b)
	}
	var parts []struct {
		Type string     `json:"type"`
		Text promptText `json:"text"`
	}
	if json.Unmarshal(b, &parts) != nil {
		// Counted as absent, as a field of an unexpected type is.
		return nil
	}
	for _, p := range parts {
		switch p.Type {
		case "text":
			c.words += p.Text.words
			c.blocks = append(c.blocks, p.Text.blocks...)
		case "image_url", "image":
			c.images++
		}
	}
	return nil
}
