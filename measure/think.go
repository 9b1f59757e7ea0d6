package measure

import (
	"bytes"

	"github.com/inferno-llm/inferno/checks"
)

// Servers without a reasoning parser inline a model's reasoning in its
// text, between <think> and </think>. thinkScan follows those spans over a
// stream's text pieces, so time to first answer and reasoning tokens mean
// the same whether a server splits reasoning out (reasoning_content) or
// not. Only a span that opens the answer counts: a tag in the middle of an
// answer is the answer's own text. A </think> with no <think> before it
// closes a span whose opening tag was in the prompt (DeepSeek-R1's chat
// template ends with <think>): everything before it was reasoning.
type thinkScan struct {
	state  uint8
	closed bool // a span closed: later tags are answer text
	held   []byte
	// tail is the end of the answer text so far, where an opening tag
	// split between events begins.
	tail  [6]byte
	ntail uint8
}

const (
	thinkStart  uint8 = iota // nothing but white space yet
	thinkIn                  // inside a span
	thinkAfter               // after </think>, nothing but white space yet
	thinkAnswer              // in the answer
)

var (
	openTag  = []byte("<think>")
	closeTag = []byte("</think>")
)

// feed classifies one event's text. reasoning: some of it was inside a
// span (tags included); answer: some of it, not white space, was answer.
// retro: a </think> turned everything before it into reasoning (the
// caller re-marks the events it has kept). The answer's bytes go to asm,
// when there is one. A tag split across events is held until the next.
func (s *thinkScan) feed(b []byte, asm *checks.Assembler) (reasoning, answer, retro bool) {
	if len(s.held) > 0 {
		// Rare: only a tag cut between two events gets here.
		b = append(s.held, b...)
		s.held = nil
	}
	for len(b) > 0 {
		switch s.state {
		case thinkStart, thinkAfter:
			rest := bytes.TrimLeft(b, " \t\r\n")
			if len(rest) == 0 {
				return reasoning, answer, retro
			}
			if s.state == thinkStart {
				if bytes.HasPrefix(rest, openTag) {
					s.state, reasoning, b = thinkIn, true, rest[len(openTag):]
					continue
				}
				if bytes.HasPrefix(openTag, rest) {
					s.held = append([]byte(nil), rest...)
					return reasoning, answer, retro
				}
			}
			s.state, b = thinkAnswer, rest
		case thinkIn:
			reasoning = true
			if i := bytes.Index(b, closeTag); i >= 0 {
				s.state, s.closed, b = thinkAfter, true, b[i+len(closeTag):]
				continue
			}
			s.hold(b)
			return reasoning, answer, retro
		case thinkAnswer:
			if !s.closed {
				i, j := bytes.Index(b, closeTag), bytes.Index(b, openTag)
				if j < 0 && s.openedAcross(b) {
					j = 0
				}
				if j >= 0 && (i < 0 || j < i) {
					// A span opened in the answer's middle is its text,
					// and so is whatever closes it.
					s.closed = true
				} else if i >= 0 {
					// The span opened in the prompt: what came before
					// was reasoning, this event's head included.
					retro, reasoning, answer = true, true, false
					if asm != nil {
						asm.DropText()
					}
					s.state, s.closed, b = thinkAfter, true, b[i+len(closeTag):]
					continue
				}
			}
			if !s.closed {
				b = b[:len(b)-s.hold(b)]
				s.keepTail(b)
			}
			if asm != nil {
				asm.Text(b)
			}
			answer = answer || len(bytes.TrimLeft(b, " \t\r\n")) > 0
			return reasoning, answer, retro
		}
	}
	return reasoning, answer, retro
}

// hold keeps b's longest tail that could begin a </think>, and says how
// long it is.
func (s *thinkScan) hold(b []byte) int {
	for n := min(len(closeTag)-1, len(b)); n > 0; n-- {
		if bytes.HasPrefix(closeTag, b[len(b)-n:]) {
			s.held = append(s.held[:0], b[len(b)-n:]...)
			return n
		}
	}
	return 0
}

// end passes on what is held at the end of the stream: a partial tag
// that never completed was answer text, unless inside a span.
func (s *thinkScan) end(asm *checks.Assembler) {
	if len(s.held) > 0 && s.state != thinkIn && asm != nil {
		asm.Text(s.held)
	}
	s.held = nil
}

// openedAcross reports an opening tag that begins in the tail of the
// answer so far and ends in b.
func (s *thinkScan) openedAcross(b []byte) bool {
	if s.ntail == 0 {
		return false
	}
	var buf [12]byte
	n := copy(buf[:], s.tail[:s.ntail])
	n += copy(buf[n:], b[:min(len(b), len(openTag)-1)])
	return bytes.Contains(buf[:n], openTag)
}

// keepTail remembers the last bytes of answer text.
func (s *thinkScan) keepTail(b []byte) {
	if len(b) >= len(s.tail) {
		s.ntail = uint8(copy(s.tail[:], b[len(b)-len(s.tail):]))
		return
	}
	keep := min(int(s.ntail), len(s.tail)-len(b))
	copy(s.tail[:], s.tail[int(s.ntail)-keep:s.ntail])
	copy(s.tail[keep:], b)
	s.ntail = uint8(keep + len(b))
}
