package builtin

import (
	"sort"
	"strings"
	"unicode"
)

// topics maps words to the category they belong to, so that "I like mangosteen" and "I like apples"
// are recognised as preferences on the same topic (fruit) even though they share no word. The list
// covers the subjects people most often state preferences about; anything else is its own topic.
var topics = map[string][]string{
	"fruit": {"水果", "苹果", "香蕉", "山竹", "橙子", "橘子", "桔子", "葡萄", "西瓜", "草莓", "芒果", "菠萝", "凤梨",
		"荔枝", "龙眼", "桃子", "桃", "梨", "樱桃", "车厘子", "蓝莓", "榴莲", "猕猴桃", "奇异果", "柠檬", "柚子", "哈密瓜",
		"火龙果", "石榴", "李子", "椰子", "木瓜", "杨梅", "枇杷",
		"fruit", "apple", "banana", "mangosteen", "orange", "grape", "watermelon", "strawberry", "mango",
		"pineapple", "lychee", "peach", "pear", "cherry", "blueberry", "durian", "kiwi", "lemon", "grapefruit",
		"melon", "papaya", "coconut", "fig", "plum", "raspberry", "apricot", "pomegranate"},
	"drink": {"饮料", "咖啡", "茶", "绿茶", "红茶", "奶茶", "可乐", "啤酒", "红酒", "葡萄酒", "白酒", "果汁", "牛奶",
		"豆浆", "酸奶", "拿铁", "美式",
		"drink", "coffee", "tea", "latte", "espresso", "cappuccino", "americano", "beer", "wine", "juice", "milk",
		"soda", "cola", "whisky", "whiskey", "cocktail", "matcha"},
	"food": {"美食", "食物", "川菜", "粤菜", "湘菜", "鲁菜", "火锅", "烧烤", "寿司", "披萨", "比萨", "汉堡", "面条",
		"拉面", "米饭", "饺子", "包子", "辣", "甜食", "海鲜", "牛肉", "猪肉", "鸡肉", "羊肉", "鱼", "素食", "蔬菜",
		"日料", "西餐", "中餐", "韩餐", "甜点", "巧克力", "蛋糕", "冰淇淋",
		"food", "cuisine", "pizza", "sushi", "burger", "hamburger", "pasta", "noodle", "ramen", "rice",
		"dumpling", "spicy", "seafood", "beef", "pork", "chicken", "lamb", "fish", "vegetarian", "vegan",
		"salad", "steak", "curry", "taco", "chocolate", "dessert", "cheese", "bread", "sandwich", "cake",
		"ice cream", "meat", "vegetable"},
	"music": {"音乐", "摇滚", "爵士", "古典音乐", "流行音乐", "说唱", "嘻哈", "民谣", "电子音乐", "重金属", "歌",
		"music", "rock", "jazz", "classical", "pop", "hip-hop", "hip hop", "rap", "folk", "electronic",
		"metal", "blues", "country", "k-pop", "song"},
	"sport": {"运动", "跑步", "游泳", "篮球", "足球", "网球", "羽毛球", "乒乓球", "瑜伽", "健身", "骑行", "登山",
		"滑雪", "爬山", "徒步",
		"sport", "running", "swimming", "basketball", "football", "soccer", "tennis", "badminton", "yoga",
		"hiking", "cycling", "skiing", "golf", "baseball", "climbing", "workout", "gym"},
	"color": {"颜色", "红色", "蓝色", "绿色", "黄色", "黑色", "白色", "紫色", "粉色", "橙色", "灰色",
		"color", "colour", "red", "blue", "green", "yellow", "black", "white", "purple", "pink", "gray", "grey"},
	"pet": {"宠物", "猫", "狗", "兔子", "仓鼠", "鹦鹉",
		"pet", "cat", "dog", "rabbit", "hamster", "parrot", "kitten", "puppy"},
	"programming language": {"编程语言", "golang", "python", "java", "javascript", "typescript", "rust", "c++",
		"c#", "ruby", "php", "kotlin", "swift", "haskell", "scala", "elixir", "clojure", "programming language"},
	"editor": {"编辑器", "vim", "neovim", "emacs", "vscode", "vs code", "intellij", "sublime", "editor", "ide"},
	"season": {"季节", "春天", "夏天", "秋天", "冬天", "season", "spring", "summer", "autumn", "winter"},
	"film": {"电影", "科幻片", "喜剧片", "恐怖片", "动作片", "爱情片", "纪录片", "动画片", "动漫",
		"movie", "film", "sci-fi", "comedy", "horror", "thriller", "documentary", "anime", "romance"},
	"reading": {"书", "小说", "漫画", "book", "novel", "comic", "manga", "poetry"},
	"travel":  {"旅行", "旅游", "海边", "山", "travel", "beach", "mountain"},
}

// topicWords lists every topic word, longest first, so "古典音乐" wins over "音乐".
var topicWords = func() []string {
	var ws []string
	for _, list := range topics {
		ws = append(ws, list...)
	}
	sort.Slice(ws, func(i, j int) bool {
		if len(ws[i]) != len(ws[j]) {
			return len(ws[i]) > len(ws[j])
		}
		return ws[i] < ws[j]
	})
	return ws
}()

var topicOfWord = func() map[string]string {
	m := make(map[string]string)
	for t, list := range topics {
		for _, w := range list {
			m[w] = t
		}
	}
	return m
}()

// topicOf names the category of a preference object, or returns the object itself when it falls in
// no known category.
func topicOf(object string) string {
	lower := strings.ToLower(strings.TrimSpace(object))
	if lower == "" {
		return ""
	}
	if hasCJK(lower) {
		// A Chinese compound's head comes last (草莓蛋糕 is a cake, not a strawberry), so the match
		// ending latest wins; among matches ending at the same place, the longest (古典音乐 over 音乐).
		best, bestEnd := "", -1
		for _, w := range topicWords {
			if !hasCJK(w) {
				continue
			}
			if i := strings.LastIndex(lower, w); i >= 0 && i+len(w) > bestEnd {
				best, bestEnd = w, i+len(w)
			}
		}
		if best != "" {
			return topicOfWord[best]
		}
		return lower
	}
	words := strings.FieldsFunc(lower, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '+' && r != '#' && r != '-'
	})
	// Two-word entries ("ice cream", "vs code") first, then single words, each also singularised.
	for i := 0; i+1 < len(words); i++ {
		if t, ok := topicOfWord[words[i]+" "+words[i+1]]; ok {
			return t
		}
	}
	// An English noun phrase's head comes last ("green tea" is a drink), and colour words are
	// mostly modifiers ("coffee black"): a colour is the topic only when nothing else is.
	colour := false
	for i := len(words) - 1; i >= 0; i-- {
		for _, form := range singulars(words[i]) {
			if t, ok := topicOfWord[form]; ok {
				if t != "color" {
					return t
				}
				colour = true
			}
		}
	}
	if colour {
		return "color"
	}
	return lower
}

// singulars returns w and the singular forms an English plural could come from.
func singulars(w string) []string {
	forms := []string{w}
	if s, ok := strings.CutSuffix(w, "ies"); ok {
		forms = append(forms, s+"y")
	}
	if s, ok := strings.CutSuffix(w, "es"); ok {
		forms = append(forms, s)
	}
	if s, ok := strings.CutSuffix(w, "s"); ok {
		forms = append(forms, s)
	}
	return forms
}
