package tui

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	agelib "filippo.io/age"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/progress"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"locket/backup"
	"locket/tui/field"
	"locket/tui/keys"
	"locket/vault"
)

// The backup screen's phases.
type backupPhase int

const (
	phaseForm    backupPhase = iota
	phaseWorking             // decrypting, planning, exporting or importing
	phasePlan                // an import's dry-run plan, waiting for y
)

// fieldKind is how a backup form field is edited.
type fieldKind int

const (
	kindText   fieldKind = iota
	kindSecret           // echo off
	kindChoice           // space or ←/→ cycles through choices
)

type backupField struct {
	label   string
	kind    fieldKind
	input   field.Input
	choices []string
	choice  int
}

func (f *backupField) value() string {
	if f.kind == kindChoice {
		return f.choices[f.choice]
	}
	return strings.TrimSpace(f.input.Value())
}

// Export form fields, in tab order.
const (
	exFile = iota
	exRecipients
	exPass
	exPass2
	exPrefix
	exArmor
	exVaultPass
)

// Import form fields, in tab order.
const (
	imFile = iota
	imPass
	imIdentity
	imConflict
)

// backupModel is the export (X) and the import (I) screen: a form, then
// a progress bar; an import shows its dry-run plan and asks before it is
// applied. Both use the package backup functions `locket backup` uses.
type backupModel struct {
	*env
	outbox
	export bool

	fields []backupField
	focus  int
	phase  backupPhase
	doing  string // what the progress bar measures
	bar    progress.Model
	pct    float64
	err    string
	width  int
	height int

	// The decrypted backup and its plan, held only while the plan is
	// shown: hide wipes the values.
	file string
	data *backup.Backup
	plan vault.ImportReport
}

func newBackupScreen(e *env, export bool, now string) *backupModel {
	b := &backupModel{env: e, export: export}
	text := func(label, placeholder, value string) backupField {
		in := field.New("", placeholder)
		// A suggested value (the file name) is replaced by typing.
		in.Prefill(value)
		return backupField{label: label, input: in}
	}
	secret := func(label, placeholder string) backupField {
		f := text(label, placeholder, "")
		f.kind = kindSecret
		f.input.EchoMode = textinput.EchoPassword
		f.input.EchoCharacter = '•'
		return f
	}
	if export {
		b.fields = []backupField{
			text("file", "where to write the backup", "locket-"+now+".age"),
			text("recipients", "a recipients file; empty encrypts to a passphrase", ""),
			secret("passphrase", "for a passphrase backup"),
			secret("again", "the passphrase again"),
			text("prefix", "empty exports every secret; e.g. shared/", ""),
			{label: "armor", kind: kindChoice, choices: []string{"no (binary)", "yes (text)"}},
			// Every secret in one file asks for the vault's passphrase
			// again, as locket backup export does (vault/reauth.go).
			secret("vault pass", "the vault's passphrase, to export every secret"),
		}
	} else {
		b.fields = []backupField{
			text("file", "the backup to import", ""),
			secret("passphrase", "for a passphrase backup"),
			text("identity", "an age identity or SSH key file, for a recipients backup", ""),
			{label: "on conflict", kind: kindChoice, choices: []string{string(vault.ConflictNewVersion), string(vault.ConflictSkip), string(vault.ConflictFail)}},
		}
	}
	b.bar = progress.New(progress.WithDefaultGradient(), progress.WithColorProfile(lipgloss.ColorProfile()))
	return b
}

// Init focuses the first field.
func (b *backupModel) Init() tea.Cmd { return b.focusField() }

// Title implements screen.
func (b *backupModel) Title() string {
	if b.export {
		return "export backup"
	}
	return "import backup"
}

// SetSize implements screen.
func (b *backupModel) SetSize(w, h int) {
	b.width, b.height = w, h
	for i := range b.fields {
		b.fields[i].input.Width = max(10, w-20)
	}
	b.bar.Width = max(10, min(60, w-4))
}

func (b *backupModel) focusField() tea.Cmd {
	var cmd tea.Cmd
	for i := range b.fields {
		if i == b.focus && b.fields[i].kind != kindChoice {
			cmd = b.fields[i].input.Focus()
		} else {
			b.fields[i].input.Blur()
		}
	}
	return cmd
}

// hide wipes the decrypted backup and forgets the passphrases typed.
func (b *backupModel) hide() {
	if b.data != nil {
		b.data.Wipe()
		b.data = nil
	}
	for i := range b.fields {
		if b.fields[i].kind == kindSecret {
			b.fields[i].input.Reset()
		}
	}
}

// Messages of the backup screen's commands. A long job reports progress
// on a channel that a re-armed command reads (the model cannot reach
// tea.Program.Send).
type (
	jobProgressMsg struct {
		job        *job
		done, want int64
	}
	exportedMsg struct {
		status string
		err    error
	}
	plannedMsg struct {
		file string
		data *backup.Backup
		plan vault.ImportReport
		err  error
	}
	importedMsg struct {
		plan vault.ImportReport
		err  error
	}
)

// job is a long command: progress messages, then one result.
type job struct {
	progress chan jobProgressMsg
	result   chan tea.Msg
}

// startJob runs work in the background and returns the command that
// reports on it. report never blocks the work: a progress message the UI
// has not read yet is replaced by the next one.
func startJob(work func(report func(done, want int64)) tea.Msg) tea.Cmd {
	j := &job{progress: make(chan jobProgressMsg, 1), result: make(chan tea.Msg, 1)}
	report := func(done, want int64) {
		msg := jobProgressMsg{job: j, done: done, want: want}
		select {
		case j.progress <- msg:
		default:
			select {
			case <-j.progress:
			default:
			}
			select {
			case j.progress <- msg:
			default:
			}
		}
	}
	return func() tea.Msg {
		go func() { j.result <- work(report) }()
		return j.next()
	}
}

// next waits for the job's next message.
func (j *job) next() tea.Msg {
	select {
	case r := <-j.result:
		return r
	case p := <-j.progress:
		return p
	}
}

// Update handles the form, the plan and the job's messages.
func (b *backupModel) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case jobProgressMsg:
		if msg.want > 0 {
			b.pct = min(1, float64(msg.done)/float64(msg.want))
		}
		return b, func() tea.Msg { return msg.job.next() }
	case exportedMsg:
		b.phase = phaseForm
		if msg.err != nil {
			b.err = vault.Sanitize(msg.err.Error())
			return b, nil
		}
		b.hide()
		b.send(BackMsg{Status: msg.status})
		return b, nil
	case plannedMsg:
		b.phase = phaseForm
		if msg.err != nil && !errors.Is(msg.err, vault.ErrConflict) {
			b.err = vault.Sanitize(msg.err.Error())
			return b, nil
		}
		b.hide()
		b.file, b.data, b.plan, b.phase = msg.file, msg.data, msg.plan, phasePlan
		if msg.err != nil {
			b.err = vault.Sanitize(msg.err.Error())
		}
		return b, nil
	case importedMsg:
		b.hide()
		b.phase = phasePlan
		if msg.err != nil {
			b.err = vault.Sanitize(msg.err.Error())
			return b, nil
		}
		b.send(BackMsg{Status: fmt.Sprintf("imported %s: %s", filepath.Base(b.file), backup.PlanCounts(msg.plan, 0)), Reload: true})
		return b, nil
	case tea.KeyMsg:
		return b, b.key(msg)
	}
	return b, nil
}

func (b *backupModel) key(k tea.KeyMsg) tea.Cmd {
	km := b.keys
	if b.phase == phaseWorking {
		return nil // the job cannot be stopped halfway: imports are all or nothing
	}
	if b.phase == phasePlan {
		switch {
		case key.Matches(k, km.Yes) && b.err == "" && b.plan.Changes() > 0:
			return b.apply()
		case key.Matches(k, km.No, km.Back):
			b.hide()
			b.send(BackMsg{Status: "import cancelled: nothing was changed"})
		}
		return nil
	}
	f := &b.fields[b.focus]
	switch {
	case key.Matches(k, km.Back):
		b.hide()
		b.send(BackMsg{Status: "cancelled"})
		return nil
	case key.Matches(k, km.Save), k.Type == tea.KeyEnter && b.focus == len(b.fields)-1:
		return b.submit()
	case key.Matches(k, km.NextField), k.Type == tea.KeyEnter:
		b.focus = (b.focus + 1) % len(b.fields)
		return b.focusField()
	case key.Matches(k, km.PrevField):
		b.focus = (b.focus + len(b.fields) - 1) % len(b.fields)
		return b.focusField()
	case f.kind == kindChoice:
		switch k.String() {
		case " ", "right", "l":
			f.choice = (f.choice + 1) % len(f.choices)
		case "left", "h":
			f.choice = (f.choice + len(f.choices) - 1) % len(f.choices)
		}
		return nil
	}
	return f.input.Update(k)
}

// submit checks the form and starts the export or the import's plan.
func (b *backupModel) submit() tea.Cmd {
	b.err = ""
	var cmd tea.Cmd
	var err error
	if b.export {
		cmd, err = b.startExport()
	} else {
		cmd, err = b.startPlan()
	}
	if err != nil {
		b.err = vault.Sanitize(err.Error())
		return nil
	}
	b.phase, b.pct = phaseWorking, 0
	return cmd
}

func (b *backupModel) startExport() (tea.Cmd, error) {
	path, recFile, prefix := b.fields[exFile].value(), b.fields[exRecipients].value(), b.fields[exPrefix].value()
	armored := b.fields[exArmor].choice == 1
	if path == "" || path == "-" {
		return nil, errors.New("name the file to write")
	}
	if err := vault.ValidatePrefix(prefix); err != nil {
		return nil, err
	}
	var recs []agelib.Recipient
	to := "a passphrase"
	if recFile != "" {
		var err error
		if recs, err = backup.ReadRecipientsFile(recFile); err != nil {
			return nil, err
		}
		to = plural(len(recs), "recipient")
	} else {
		pass, again := b.fields[exPass].input.Value(), b.fields[exPass2].input.Value()
		switch {
		case pass == "":
			return nil, errors.New("type a passphrase, or name a recipients file")
		case pass != again:
			return nil, errors.New("the two passphrases differ")
		}
		r, err := backup.PassphraseRecipient([]byte(pass))
		if err != nil {
			return nil, err
		}
		recs = []agelib.Recipient{r}
	}
	v, ctx := b.v, b.ctx
	b.doing = "exporting to " + path
	o := backup.ExportOptions{Prefix: prefix, Recipients: recs, Armor: armored, Note: backup.ExportNote(path)}
	if prefix == "" {
		current := b.fields[exVaultPass].input.Value()
		if current == "" {
			return nil, errors.New("exporting every secret asks for the vault's passphrase; type it, or choose a prefix")
		}
		o.Passphrase = []byte(current)
	}
	return startJob(func(report func(done, want int64)) tea.Msg {
		o.Progress = report
		var res backup.ExportResult
		err := backup.WriteFile(path, func(w io.Writer) error {
			var err error
			res, err = backup.Export(ctx, v, w, o)
			return err
		})
		if err != nil {
			return exportedMsg{err: err}
		}
		status := fmt.Sprintf("exported %s (%s) to %s, encrypted to %s", plural(res.Secrets, "secret"), plural(res.Versions, "version"), vault.Sanitize(path), to)
		if err := backup.Exported(ctx, v, o); err != nil {
			status += "; " + err.Error()
		}
		return exportedMsg{status: status}
	}), nil
}

// startPlan decrypts the backup and computes the import's plan (a dry
// run: nothing is written).
func (b *backupModel) startPlan() (tea.Cmd, error) {
	path, idFile := b.fields[imFile].value(), b.fields[imIdentity].value()
	pass := []byte(b.fields[imPass].input.Value())
	policy, err := vault.ParseOnConflict(b.fields[imConflict].value())
	if err != nil {
		return nil, err
	}
	if path == "" {
		return nil, errors.New("name the backup file to import")
	}
	keys := func(isPass bool) ([]agelib.Identity, error) {
		if isPass {
			if len(pass) == 0 {
				return nil, errors.New("this backup is encrypted to a passphrase: type it")
			}
			id, err := backup.PassphraseIdentity(pass)
			return []agelib.Identity{id}, err
		}
		if idFile == "" {
			return nil, errors.New("this backup is encrypted to recipients: name an identity file")
		}
		return backup.ReadIdentityFile(idFile, func() ([]byte, error) {
			return nil, fmt.Errorf("SSH key %s is encrypted: use locket backup import on the command line", idFile)
		})
	}
	v, ctx := b.v, b.ctx
	b.doing = "decrypting " + path
	return startJob(func(report func(done, want int64)) tea.Msg {
		defer clear(pass)
		raw, err := os.ReadFile(path)
		if err != nil {
			return plannedMsg{err: err}
		}
		bk, err := backup.Decrypt(bytes.NewReader(raw), keys)
		if err != nil {
			return plannedMsg{err: err}
		}
		plan, err := backup.Restore(ctx, v, backup.ReaderOf(bk), path, backup.RestoreOptions{OnConflict: policy, DryRun: true})
		return plannedMsg{file: path, data: bk, plan: plan, err: err}
	}), nil
}

// apply imports the planned backup, all or nothing, with a progress bar.
func (b *backupModel) apply() tea.Cmd {
	v, ctx, bk, path := b.v, b.ctx, b.data, b.file
	policy, _ := vault.ParseOnConflict(b.fields[imConflict].value())
	b.phase, b.pct, b.doing = phaseWorking, 0, "importing "+path
	return startJob(func(report func(done, want int64)) tea.Msg {
		progress := make(chan vault.ImportProgress, 1)
		forwarded := make(chan struct{})
		go func() {
			defer close(forwarded)
			for p := range progress {
				report(int64(p.Done), int64(p.Total))
			}
		}()
		plan, err := backup.Restore(ctx, v, backup.ReaderOf(bk), path, backup.RestoreOptions{OnConflict: policy, Progress: progress})
		close(progress)
		<-forwarded
		return importedMsg{plan: plan, err: err}
	})
}

// View draws the form, the progress bar or the plan.
func (b *backupModel) View() string {
	st := b.styles
	var out []string
	switch b.phase {
	case phaseWorking:
		out = append(out, st.Title.Render(fit(b.doing, b.width)), "", b.bar.ViewAs(b.pct))
	case phasePlan:
		out = b.planView()
	default:
		out = b.formView()
	}
	if b.err != "" {
		out = append(out, "", st.Error.Render(fit("locket: "+b.err, b.width)))
	}
	return strings.Join(out, "\n")
}

func (b *backupModel) formView() []string {
	st := b.styles
	var out []string
	for i, f := range b.fields {
		label := "  " + st.Label.Render(pad(f.label, 14))
		if i == b.focus {
			label = st.Cursor.Render("> ") + st.Title.Render(pad(f.label, 14))
		}
		val := f.input.View()
		if f.kind == kindChoice {
			val = st.Value.Render(f.value()) + st.Dim.Render("  (space changes)")
		}
		out = append(out, label+val)
	}
	note := "The backup holds every version of the chosen secrets, their tags and the\nvault settings, encrypted with age. Exporting is recorded in the audit log."
	if !b.export {
		note = "Nothing is changed before you have seen the plan and pressed y.\nImported values are added as new versions; no history is overwritten."
	}
	return append(out, "", st.Dim.Render(note))
}

func (b *backupModel) planView() []string {
	st := b.styles
	out := []string{
		st.Title.Render(fit("Plan for "+b.file, b.width)),
		"",
		fmt.Sprintf("  %-20s %d", "new secrets", b.plan.Count(vault.ActionNew)),
		fmt.Sprintf("  %-20s %d", "new versions", b.plan.Count(vault.ActionNewVersions)),
		fmt.Sprintf("  %-20s %d", "identical", b.plan.Count(vault.ActionIdentical)),
		fmt.Sprintf("  %-20s %d", "conflicting", b.plan.Count(vault.ActionConflict)),
		fmt.Sprintf("  %-20s %d", "skipped", b.plan.Count(vault.ActionSkipped)),
		"",
	}
	room := b.height - len(out) - 4
	shown := 0
	for _, it := range b.plan.Items {
		if it.Action == vault.ActionIdentical {
			continue
		}
		if shown == room {
			out = append(out, st.Dim.Render("  …"))
			break
		}
		shown++
		line := fmt.Sprintf("  %-12s %s", it.Action, vault.Sanitize(it.Name))
		if it.Reason != "" {
			line += st.Dim.Render("  " + vault.Sanitize(it.Reason))
		}
		out = append(out, pad(line, b.width))
	}
	switch {
	case b.err != "":
		out = append(out, "", st.Dim.Render("esc goes back; nothing was changed"))
	case b.plan.Changes() == 0:
		out = append(out, "", st.Dim.Render("nothing to import · esc goes back"))
	default:
		out = append(out, "", st.Warning.Render(fit(fmt.Sprintf("y imports %s, all or nothing · n/esc cancels", plural(b.plan.Changes(), "secret")), b.width)),
			st.Dim.Render("on conflict: "+b.fields[imConflict].value()))
	}
	return out
}

// Help implements screen.
func (b *backupModel) Help() keys.Bindings {
	km := b.keys
	switch b.phase {
	case phaseWorking:
		return nil
	case phasePlan:
		return keys.Bindings{km.Yes, km.No}
	}
	return keys.Bindings{km.Save, km.NextField, keyHelp("space", "change choice"), km.Back}
}
