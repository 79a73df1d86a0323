package mask

import (
	"bytes"
	"strings"
	"testing"
)

const R = Replacement

func conceal(t *testing.T, values []string, input string, chunk int) string {
	t.Helper()
	var out bytes.Buffer
	var vs [][]byte
	for _, v := range values {
		vs = append(vs, []byte(v))
	}
	w := NewWriter(&out, vs)
	for i := 0; i < len(input); i += chunk {
		p := []byte(input[i:min(i+chunk, len(input))])
		if n, err := w.Write(p); err != nil || n != len(p) {
			t.Fatalf("Write = %d, %v", n, err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

func TestConceal(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		values []string
		in     string
		want   string
	}{
		{[]string{"hunter2"}, "pw=hunter2\n", "pw=" + R + "\n"},
		{[]string{"hunter2"}, "hunter2hunter2 and hunter2", R + " and " + R},
		{[]string{"hunter2"}, "hunter", "hunter"},
		{[]string{"hunter2"}, "hunterhunter2x", "hunter" + R + "x"},
		{[]string{"abc", "bcd"}, "xabcdx", "x" + R + "x"},
		{[]string{"xab", "abcdef"}, "xabcdefg", R + "g"},
		{[]string{"aa"}, "aaa b aa", R + " b " + R},
		{[]string{"abcabd"}, "abcabcabd!", "abc" + R + "!"},
		{[]string{"s", "long-secret"}, "is long-secret s", "i" + R + " " + R + " " + R},
		{[]string{"", "x"}, "axb", "a" + R + "b"},
		{nil, "untouched", "untouched"},
		{[]string{"line1\nline2"}, "v=line1\nline2.", "v=" + R + "."},
		{[]string{"ab"}, "", ""},
	} {
		for _, chunk := range []int{1, 2, 3, 5, 1 << 20} {
			if got := conceal(t, c.values, c.in, chunk); got != c.want {
				t.Errorf("values %q, input %q in writes of %d: got %q, want %q", c.values, c.in, chunk, got, c.want)
			}
		}
	}
}

// Whatever the chunking, no value survives, and output without values
// passes through unchanged.
func FuzzConceal(f *testing.F) {
	f.Add("abc", "bcd", "xxabcdabcxx", uint8(1))
	f.Fuzz(func(t *testing.T, v1, v2, in string, chunk uint8) {
		// A value made of the replacement's own bytes could be spelled by
		// the replacement and what follows it; that is not a leak.
		if chunk == 0 || strings.ContainsAny(v1, R) || strings.ContainsAny(v2, R) {
			return
		}
		got := conceal(t, []string{v1, v2}, in, int(chunk))
		for _, v := range []string{v1, v2} {
			if v != "" && strings.Contains(got, v) {
				t.Fatalf("value %q survives in %q (input %q, writes of %d)", v, got, in, chunk)
			}
		}
		if (v1 == "" || !strings.Contains(in, v1)) && (v2 == "" || !strings.Contains(in, v2)) && got != in {
			t.Fatalf("input %q without values came out as %q", in, got)
		}
	})
}

// What cannot start a value is written at once: a prompt is not held.
func TestNoNeedlessHold(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	w := NewWriter(&out, [][]byte{[]byte("secret-value")})
	w.Write([]byte("ready\n"))
	if out.String() != "ready\n" {
		t.Fatalf("after a write that cannot start a value, %q went out", out.String())
	}
	w.Write([]byte("a secr"))
	if out.String() != "ready\na " {
		t.Fatalf("a possible start of a value went out: %q", out.String())
	}
	w.Write([]byte("et-value!"))
	w.Close()
	if want := "ready\na " + R + "!"; out.String() != want {
		t.Fatalf("got %q, want %q", out.String(), want)
	}
}

func TestWriteAfterClose(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	w := NewWriter(&out, [][]byte{[]byte("secret")})
	w.Write([]byte("secr"))
	if err := w.Close(); err != nil || out.String() != "secr" {
		t.Fatalf("Close: %v, wrote %q", err, out.String())
	}
	if _, err := w.Write([]byte("x")); err == nil {
		t.Fatal("a write after Close succeeded")
	}
}
