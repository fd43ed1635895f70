package memstore

// Rules is the rule-based understanding used when no LLM is configured: it finds explicit
// preference statements in what a user says and recognises corrections. The builtin package
// implements it for Chinese and English.
type Rules interface {
	// Preferences returns the explicit preferences stated in text, in order.
	Preferences(text string) []PreferenceStatement
	// IsCorrection reports whether text corrects something said before ("wrong, actually …").
	IsCorrection(text string) bool
}

// Polarity is the direction of a preference.
type Polarity string

const (
	Like    Polarity = "like"
	Dislike Polarity = "dislike"
	Want    Polarity = "want"
)

// PreferenceStatement is one preference found in a text.
type PreferenceStatement struct {
	// Sentence restates the preference in the third person, in the user's language:
	// "The user likes apples." / "用户喜欢吃苹果".
	Sentence string
	// Object is what the preference is about ("apples", "苹果"); it becomes the memory's key.
	Object string
	// Topic is the category of the object when known ("fruit"), else the object itself. Two
	// preferences on the same topic compete when the user corrects one of them.
	Topic    string
	Polarity Polarity
	// Clause is the part of the text that states the preference, as said.
	Clause string
}
