package agent

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"os"
	"sync/atomic"
	"time"

	"locket/internal/agent/proto"
	"locket/vault"
)

// Import is the one call whose argument is a stream (POST import): a
// restore of 100k secrets sent as one JSON array held the whole backup in
// the client and the agent at once, and reported no progress until it
// was written. The request body is NDJSON frames (proto.FrameWriter), read
// as the import asks for each secret; the answer, sent while the body is
// still being read, is NDJSON progress, then the report and the error. A
// body that ends without its end frame is an error: the import is all or
// nothing, so a client that dies or a source that fails mid-stream
// imports nothing.

// errImportStalled: the client stopped sending in the middle of an import.
var errImportStalled = fmt.Errorf("%w: import stalled", vault.ErrInvalid)

// handleImport runs vault.Service.Import on the secrets of the request
// body as they arrive, reporting progress as it goes.
//
// Only this goroutine reads the body, and it has stopped reading when the
// handler returns: a read left running beside the server's own (the
// progress writer used to race the body) is what panics with "invalid
// concurrent Body.Read call". The import's context ends when the client
// goes away (the server notices once the body has been read to its end,
// which Next does after the end frame), when the agent locks, or when the
// client sends nothing for importStall.
func (s *Server) handleImport(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	// The body may end unread (an error, a lock): the connection then
	// carries nothing else, and the client must not reuse it.
	w.Header().Set("Connection", "close")
	// A locked agent refuses before it reads anything.
	svc, ctx, stop, err := s.session(r.Context())
	if err != nil {
		writeError(w, err)
		return
	}
	defer stop()
	rc := http.NewResponseController(w)
	rc.SetReadDeadline(time.Now().Add(s.cfg.importStall))
	// A lock or a client gone away ends a read that waits for the next
	// frame at once, rather than at the stall deadline.
	var preempted atomic.Bool
	defer context.AfterFunc(ctx, func() {
		preempted.Store(true)
		rc.SetReadDeadline(time.Now())
	})()
	fr := proto.NewFrameReader(r.Body)
	o, err := fr.Options()
	if err != nil {
		writeError(w, fmt.Errorf("import options: %w", err))
		return
	}
	// HTTP/1 answers only once the body is read, unless told that the
	// handler reads and writes at once.
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
			// A client gone away fails the import through its context; the
			// reports are drained until then.
			if ok {
				ok = lines.Encode(proto.ImportLine{Progress: &p}) == nil && rc.Flush() == nil
			}
		}
	}()
	src := func(yield func(vault.SecretData, error) bool) {
		for {
			// A client that stops sending without going away fails the
			// import rather than hold every other writer up.
			rc.SetReadDeadline(time.Now().Add(s.cfg.importStall))
			sd, ok, err := fr.Next(&o)
			if err != nil {
				// A stall's read error also cancels the request's context,
				// so it is told from a lock by the agent still being
				// unlocked; a client gone away fails a read otherwise.
				switch {
				case errors.Is(err, os.ErrDeadlineExceeded) && s.unlocked():
					err = fmt.Errorf("%w: the client sent nothing for %s; import cancelled", errImportStalled, s.cfg.importStall)
				case preempted.Load():
					err = fmt.Errorf("import cancelled (the agent locked or the client went away): %w", context.Cause(ctx))
				default:
					err = fmt.Errorf("import stream: %w", err)
				}
				yield(vault.SecretData{}, err)
				return
			}
			if !ok || !yield(sd, nil) {
				return
			}
		}
	}
	rep, err := svc.Import(ctx, src, o)
	close(progress)
	<-sent
	last := proto.ImportLine{Report: &rep}
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
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	pr, pw := io.Pipe()
	var srcErr error
	written := make(chan struct{})
	go func() {
		defer close(written)
		fw := proto.NewFrameWriter(pw)
		err := fw.Options(o)
		if err == nil {
			for sd, e := range src {
				if e != nil {
					srcErr, err = e, e
					break
				}
				if err = fw.Secret(sd); err != nil {
					break
				}
			}
		}
		if err == nil {
			err = fw.End()
		}
		// An error makes the transport drop the connection without ending
		// the body: the agent reads a broken stream.
		pw.CloseWithError(err)
	}()
	// The agent reports progress for every secret it reads and writes: an
	// answer that stays silent past the agent's own stall deadline (and a
	// margin) is an agent that hangs.
	stall := importStall + 30*time.Second
	watchdog := time.AfterFunc(stall, func() { cancel(&timeoutError{what: "Import", d: stall}) })
	defer watchdog.Stop()
	rep, err := c.importAnswer(ctx, pr, progress, func() { watchdog.Reset(stall) })
	// Whatever ended the answer, the writer stops and src is no longer
	// read once Import returns.
	pr.CloseWithError(errors.Join(err, errors.New("import ended")))
	cancel(nil)
	<-written
	if srcErr != nil {
		return vault.ImportReport{}, srcErr
	}
	return rep, err
}

// importAnswer sends the import request with body and reads its answer.
// The call has no overall timeout, but the agent must say something
// within importStall of the last thing it said.
func (c *Client) importAnswer(ctx context.Context, body io.Reader, progress chan<- vault.ImportProgress, heard func()) (vault.ImportReport, error) {
	resp, err := c.sendBody(ctx, http.MethodPost, "import", "application/x-ndjson", body)
	if err != nil {
		return vault.ImportReport{}, err
	}
	defer resp.Body.Close()
	dec := json.NewDecoder(bufio.NewReader(resp.Body))
	for {
		var l proto.ImportLine
		if err := dec.Decode(&l); err != nil {
			if te := (*timeoutError)(nil); errors.As(context.Cause(ctx), &te) {
				return vault.ImportReport{}, te
			}
			if ctx.Err() != nil {
				return vault.ImportReport{}, ctx.Err()
			}
			return vault.ImportReport{}, fmt.Errorf("agent: read answer of Import: %w", err)
		}
		heard()
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
			return rep, wireError(*l.Error)
		}
		return rep, nil
	}
}
