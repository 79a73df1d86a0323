// Package keys is the TUI's one key map. Every screen reads its bindings
// from here, and the help screen is generated from the same bindings, so
// help can never disagree with what a key does.
package keys

import "github.com/charmbracelet/bubbles/key"

// KeyMap holds every binding of the TUI.
type KeyMap struct {
	Up       key.Binding
	Down     key.Binding
	PageUp   key.Binding
	PageDown key.Binding
	Home     key.Binding
	End      key.Binding

	Filter  key.Binding
	Open    key.Binding
	Back    key.Binding
	Reveal  key.Binding
	Copy    key.Binding
	Sort    key.Binding
	History key.Binding
	Trash   key.Binding
	Review  key.Binding
	Export  key.Binding
	Import  key.Binding

	New      key.Binding
	Edit     key.Binding
	Tags     key.Binding
	Delete   key.Binding
	Toggle   key.Binding
	Rollback key.Binding
	Recover  key.Binding
	Purge    key.Binding

	NextField key.Binding
	PrevField key.Binding
	Generate  key.Binding
	Save      key.Binding
	Yes       key.Binding
	No        key.Binding

	// The rotation review's queue and its one-line forms.
	Rotate    key.Binding
	Snooze    key.Binding
	Policy    key.Binding
	Disable   key.Binding
	Skip      key.Binding
	Finish    key.Binding
	Submit    key.Binding
	FieldDown key.Binding
	FieldUp   key.Binding

	Lock      key.Binding
	Help      key.Binding
	Quit      key.Binding
	ForceQuit key.Binding
}

// DefaultKeyMap returns the documented keys.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Up:       key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
		Down:     key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
		PageUp:   key.NewBinding(key.WithKeys("pgup", "ctrl+b"), key.WithHelp("pgup", "page up")),
		PageDown: key.NewBinding(key.WithKeys("pgdown", "ctrl+f"), key.WithHelp("pgdn", "page down")),
		Home:     key.NewBinding(key.WithKeys("home", "g"), key.WithHelp("g/home", "first")),
		End:      key.NewBinding(key.WithKeys("end", "G"), key.WithHelp("G/end", "last")),

		Filter:  key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter")),
		Open:    key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "open")),
		Back:    key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back")),
		Reveal:  key.NewBinding(key.WithKeys(" "), key.WithHelp("space", "reveal")),
		Copy:    key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "copy")),
		Sort:    key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "sort")),
		History: key.NewBinding(key.WithKeys("h"), key.WithHelp("h", "history")),
		Trash:   key.NewBinding(key.WithKeys("T"), key.WithHelp("T", "trash")),
		Review:  key.NewBinding(key.WithKeys("R"), key.WithHelp("R", "rotation review")),
		Export:  key.NewBinding(key.WithKeys("X"), key.WithHelp("X", "export")),
		Import:  key.NewBinding(key.WithKeys("I"), key.WithHelp("I", "import")),

		New:      key.NewBinding(key.WithKeys("n"), key.WithHelp("n", "new")),
		Edit:     key.NewBinding(key.WithKeys("e"), key.WithHelp("e", "edit (new version)")),
		Tags:     key.NewBinding(key.WithKeys("t"), key.WithHelp("t", "tags")),
		Delete:   key.NewBinding(key.WithKeys("d"), key.WithHelp("d", "delete")),
		Toggle:   key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "enable/disable")),
		Rollback: key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "roll back to this")),
		Recover:  key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "recover")),
		Purge:    key.NewBinding(key.WithKeys("P"), key.WithHelp("P", "purge")),

		NextField: key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "next field")),
		PrevField: key.NewBinding(key.WithKeys("shift+tab"), key.WithHelp("shift+tab", "previous field")),
		Generate:  key.NewBinding(key.WithKeys("ctrl+g"), key.WithHelp("ctrl+g", "generate value")),
		Save:      key.NewBinding(key.WithKeys("ctrl+s"), key.WithHelp("ctrl+s", "save")),
		Yes:       key.NewBinding(key.WithKeys("y", "Y"), key.WithHelp("y", "yes")),
		No:        key.NewBinding(key.WithKeys("n", "N", "esc"), key.WithHelp("n/esc", "no")),

		Rotate:    key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "rotate now")),
		Snooze:    key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "snooze")),
		Policy:    key.NewBinding(key.WithKeys("p"), key.WithHelp("p", "rotate-every")),
		Disable:   key.NewBinding(key.WithKeys("d"), key.WithHelp("d", "disable")),
		Skip:      key.NewBinding(key.WithKeys("n", "right"), key.WithHelp("n", "skip")),
		Finish:    key.NewBinding(key.WithKeys("q", "esc"), key.WithHelp("q", "finish")),
		Submit:    key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "save")),
		FieldDown: key.NewBinding(key.WithKeys("tab", "down"), key.WithHelp("tab", "next field")),
		FieldUp:   key.NewBinding(key.WithKeys("shift+tab", "up"), key.WithHelp("shift+tab", "previous field")),

		Lock:      key.NewBinding(key.WithKeys("ctrl+l"), key.WithHelp("ctrl+l", "lock")),
		Help:      key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),
		Quit:      key.NewBinding(key.WithKeys("q"), key.WithHelp("q", "quit")),
		ForceQuit: key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("ctrl+c", "quit")),
	}
}

// Changing lists the bindings of actions that change the vault. The
// rotation review is not one of them: it has a read-only mode of its own.
// Export is: it hands out every value, which is audited only in a
// writable vault, so a read-only session does not offer it.
func (k *KeyMap) Changing() []*key.Binding {
	return []*key.Binding{&k.New, &k.Edit, &k.Tags, &k.Delete, &k.Toggle, &k.Rollback, &k.Recover, &k.Purge, &k.Export, &k.Import}
}

// SetReadOnly disables (and so hides from help) every changing action.
func (k *KeyMap) SetReadOnly(ro bool) {
	for _, b := range k.Changing() {
		b.SetEnabled(!ro)
	}
}

// ShortHelp is the main screen's one-line help (help.KeyMap).
func (k KeyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.Filter, k.Open, k.Reveal, k.Copy, k.New, k.Edit, k.Help, k.Quit}
}

// FullHelp is the help screen (help.KeyMap).
func (k KeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Up, k.Down, k.PageUp, k.PageDown, k.Home, k.End, k.Filter, k.Sort},
		{k.Open, k.Back, k.Reveal, k.Copy, k.History, k.Trash, k.Review, k.Export, k.Import},
		{k.New, k.Edit, k.Tags, k.Toggle, k.Delete, k.Rollback, k.Recover, k.Purge},
		{k.Generate, k.Save, k.NextField, k.Lock, k.Help, k.Quit},
	}
}

// ReviewHelp is the rotation review queue's one-line help.
func (k KeyMap) ReviewHelp() Bindings {
	return Bindings{k.Rotate, k.Snooze, k.Policy, k.Disable, k.Skip, k.Finish}
}

// Bindings is a help.KeyMap for a short list of bindings, for screens
// other than the main one.
type Bindings []key.Binding

// ShortHelp implements help.KeyMap.
func (b Bindings) ShortHelp() []key.Binding { return b }

// FullHelp implements help.KeyMap.
func (b Bindings) FullHelp() [][]key.Binding { return [][]key.Binding{b} }
