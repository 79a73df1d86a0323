package agent

import (
	"bufio"
	"context"
	"encoding/gob"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"time"

	"locket/vault"
)

// Import is the one call whose argument is a stream (POST /v1/import): a
// restore of 100k secrets sent as one JSON array held the whole backup in
// the client and the agent at once, and reported no progress until it
// was written. The request body is a gob stream of the
// vault.ImportOptions, then one importFrame per secret, then an
// importFrame with End set; the agent decodes each secret as the import
// asks for it. The answer, sent while the body is still being read, is
// NDJSON: importLine progress reports, then one importLine with the report
// and the error, if any. A body that ends without the End frame is an
// error: the import is all or nothing, so a client that dies or a source
// that fails mid-stream imports nothing.

// importFrame is one element of an import stream after the options.
type importFrame struct {
	Secret vault.SecretData
	// End marks the end of the secrets: a stream cut short is not mistaken
	// for a complete one.
	End bool
}

// importLine is one line of an import's answer: a progress report, or the
// last line with the report and the error (a conflict carries both).
type importLine struct {
	Progress *vault.ImportProgress `json:"progress,omitempty"`
	Report   *vault.ImportReport   `json:"report,omitempty"`
	Error    *wireError            `json:"error,omitempty"`
}

// importIdle bounds the wait for the next secret of an import stream.
const importIdle = time.Minute

// errNoEnd: the import stream ended without its End frame.
var errNoEnd = errors.New("the import stream ended before its end mark")

// handleImport runs vault.Service.Import on the secrets of the request
// body as they arrive, reporting progress as it goes.
func (s *Server) handleImport(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	dec := gob.NewDecoder(bufio.NewReaderSize(r.Body, 64<<10))
	var o vault.ImportOptions
	if err := dec.Decode(&o); err != nil {
		writeError(w, fmt.Errorf("%w: import options: %v", vault.ErrInvalid, err))
		return
	}
	svc, err := s.session()
	if err != nil {
		writeError(w, err)
		return
	}
	// HTTP/1 answers only once the body is read, unless told that the
	// handler reads and writes at once.
	rc := http.NewResponseController(w)
	if err := rc.EnableFullDuplex(); err != nil {
		s.cfg.Log.Printf("Import: progress waits for the whole stream: %v", err)
	}
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.WriteHeader(http.StatusOK)
	rc.Flush()
	lines := json.NewEncoder(w)
	progress := make(chan vault.ImportProgress)
	o.Progress = progress
	sent := make(chan struct{})
	go func() {
		defer close(sent)
		ok := true
		for p := range progress {
			// A client gone away fails the import through its body; the
			// reports are drained until then.
			if ok {
				ok = lines.Encode(importLine{Progress: &p}) == nil && rc.Flush() == nil
			}
		}
	}()
	src := func(yield func(vault.SecretData, error) bool) {
		for {
			// The import holds the vault's writer lock while it reads: a
			// client that stops sending without going away fails it rather
			// than hold every other writer up.
			rc.SetReadDeadline(time.Now().Add(importIdle))
			var f importFrame // fresh: gob leaves fields it does not send as they were
			if err := dec.Decode(&f); err != nil {
				if errors.Is(err, io.EOF) {
					err = errNoEnd
				}
				yield(vault.SecretData{}, fmt.Errorf("%w: import stream: %v", vault.ErrInvalid, err))
				return
			}
			if f.End || !yield(f.Secret, nil) {
				return
			}
		}
	}
	rep, err := svc.Import(r.Context(), src, o)
	rc.SetReadDeadline(time.Time{})
	close(progress)
	<-sent
	last := importLine{Report: &rep}
	if err != nil {
		s.cfg.Log.Printf("Import: %s (%s)", errorCode(err), time.Since(start).Round(time.Microsecond))
		we := wireErrorOf(err)
		last.Error = &we
	} else {
		s.cfg.Log.Printf("Import: ok (%s)", time.Since(start).Round(time.Microsecond))
	}
	lines.Encode(last)
}

// Import sends the secrets of src to the agent as it reads them, and
// passes on the progress the agent reports while it imports. When src
// fails, the stream is cut short, so the agent imports nothing, and
// Import returns src's error.
func (c *Client) Import(ctx context.Context, src iter.Seq2[vault.SecretData, error], o vault.ImportOptions) (vault.ImportReport, error) {
	progress := o.Progress
	o.Progress = nil
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	pr, pw := io.Pipe()
	var srcErr error
	written := make(chan struct{})
	go func() {
		defer close(written)
		bw := bufio.NewWriterSize(pw, 64<<10)
		enc := gob.NewEncoder(bw)
		err := enc.Encode(o)
		if err == nil {
			for sd, e := range src {
				if e != nil {
					srcErr, err = e, e
					break
				}
				if err = enc.Encode(importFrame{Secret: sd}); err != nil {
					break
				}
			}
		}
		if err == nil {
			err = enc.Encode(importFrame{End: true})
		}
		if err == nil {
			err = bw.Flush()
		}
		// An error makes the transport drop the connection without ending
		// the body: the agent reads a broken stream.
		pw.CloseWithError(err)
	}()
	rep, err := c.importAnswer(ctx, pr, progress)
	// Whatever ended the answer, the writer stops and src is no longer
	// read once Import returns.
	pr.CloseWithError(errors.Join(err, errors.New("import ended")))
	cancel()
	<-written
	if srcErr != nil {
		return vault.ImportReport{}, srcErr
	}
	return rep, err
}

// importAnswer sends the import request with body and reads its answer.
func (c *Client) importAnswer(ctx context.Context, body io.Reader, progress chan<- vault.ImportProgress) (vault.ImportReport, error) {
	resp, err := c.sendBody(ctx, http.MethodPost, "import", resultsType, body)
	if err != nil {
		return vault.ImportReport{}, err
	}
	defer resp.Body.Close()
	dec := json.NewDecoder(bufio.NewReader(resp.Body))
	for {
		var l importLine
		if err := dec.Decode(&l); err != nil {
			if ctx.Err() != nil {
				return vault.ImportReport{}, ctx.Err()
			}
			return vault.ImportReport{}, fmt.Errorf("agent: read answer of Import: %w", err)
		}
		if l.Progress != nil {
			if progress != nil {
				select {
				case progress <- *l.Progress:
				case <-ctx.Done():
					return vault.ImportReport{}, ctx.Err()
				}
			}
			continue
		}
		var rep vault.ImportReport
		if l.Report != nil {
			rep = *l.Report
		}
		if l.Error != nil {
			return rep, l.Error.err()
		}
		return rep, nil
	}
}
