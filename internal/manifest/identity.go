package manifest

import "strings"

// Swedish personal identity numbers, as Skatteverket defines them:
//
//   - personnummer (SKV 704, "Personnummer"): the birth date YYMMDD, a three-digit birth
//     number and a check digit, written YYMMDD-NNNC, or YYMMDD+NNNC once the holder is 100;
//     systems store twelve digits with the century, YYYYMMDDNNNC (century 18, 19 or 20).
//   - samordningsnummer (SKV 707, "Samordningsnummer"): the same form with 60 added to the
//     day of birth (61-91).
//
// The check digit C is the Luhn (modulus 10) digit of the nine digits YYMMDDNNN, with
// weights 2,1,2,1,... from the left, even in the twelve-digit form (SKV 704).

// LooksLikePersonnummer reports whether s holds something that looks like a Swedish
// personnummer or samordningsnummer, alone or inside a longer string ("patient-19121212-1212").
//
// A candidate is a group of digits that stands alone (no digit right before or after it):
// ten digits (YYMMDDNNNC), twelve digits (YYYYMMDDNNNC), or six or eight digits and four
// digits joined by one separator: '-', '+', a space or an underscore. It counts only when
// the date exists (samordningsnummer: day 61-91 is day 1-31), the century of a twelve-digit
// form is 18, 19 or 20, and the check digit is right. So ordinary ids ("S001", "DEMO-0001",
// "run-2026-11-23") and digit strings that fail the date or check digit are not flagged;
// about one in ten YYYYMMDD-NNNN strings with a real date passes the check digit by chance
// and is flagged, as it must be: nothing else tells it from a newborn's personnummer.
func LooksLikePersonnummer(s string) bool {
	_, _, ok := findPersonnummer(s, 0)
	return ok
}

// maskPersonnummer replaces the digits of everything in s that looks like a personal
// identity number with '*', so that messages can point at it without repeating it.
func maskPersonnummer(s string) string {
	var b strings.Builder
	from := 0
	for {
		start, end, ok := findPersonnummer(s, from)
		if !ok {
			break
		}
		b.WriteString(s[from:start])
		for i := start; i < end; i++ {
			if isDigit(s[i]) {
				b.WriteByte('*')
			} else {
				b.WriteByte(s[i])
			}
		}
		from = end
	}
	if from == 0 {
		return s
	}
	b.WriteString(s[from:])
	return b.String()
}

// findPersonnummer returns the byte span [start, end) of the first personal identity
// number in s at or after from.
func findPersonnummer(s string, from int) (start, end int, ok bool) {
	for i := from; i < len(s); i++ {
		if !isDigit(s[i]) || (i > 0 && isDigit(s[i-1])) {
			continue
		}
		// s[i:] starts a run of digits.
		r1 := digitRun(s, i)
		switch r1 {
		case 10, 12:
			if validIdentity(s[i : i+r1]) {
				return i, i + r1, true
			}
		case 6, 8:
			j := i + r1
			if j+1 < len(s) && isSeparator(s[j]) && digitRun(s, j+1) == 4 {
				if validIdentity(s[i:j] + s[j+1:j+5]) {
					return i, j + 5, true
				}
			}
		}
		i += r1 - 1
	}
	return 0, 0, false
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isSeparator(c byte) bool { return c == '-' || c == '+' || c == ' ' || c == '_' }

// digitRun returns how many digits follow s[i].
func digitRun(s string, i int) int {
	n := 0
	for i+n < len(s) && isDigit(s[i+n]) {
		n++
	}
	return n
}

// validIdentity checks ten (YYMMDDNNNC) or twelve (YYYYMMDDNNNC) digits: date and Luhn
// check digit (SKV 704; samordningsnummer day + 60, SKV 707).
func validIdentity(d string) bool {
	century := -1 // unknown: any of 18, 19, 20
	if len(d) == 12 {
		century = num(d[:2])
		if century < 18 || century > 20 {
			return false
		}
		d = d[2:]
	}
	yy, mm, dd := num(d[0:2]), num(d[2:4]), num(d[4:6])
	if dd > 60 {
		dd -= 60 // samordningsnummer
	}
	if mm < 1 || mm > 12 || dd < 1 || dd > daysIn(mm, century, yy) {
		return false
	}
	return luhn(d)
}

func num(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

// daysIn returns the days of month mm in year century*100+yy; with the century unknown
// (-1), February has 29 days when any of 18yy, 19yy and 20yy is a leap year.
func daysIn(mm, century, yy int) int {
	switch mm {
	case 4, 6, 9, 11:
		return 30
	case 2:
		leap := func(y int) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }
		if century >= 0 && leap(century*100+yy) || century < 0 && (leap(1800+yy) || leap(1900+yy) || leap(2000+yy)) {
			return 29
		}
		return 28
	}
	return 31
}

// luhn checks the last of ten digits against the Luhn sum of the first nine, weighted
// 2,1,2,1,... from the left, each product's digits added (SKV 704).
func luhn(d string) bool {
	sum := 0
	for i := 0; i < 9; i++ {
		p := int(d[i]-'0') * (2 - i%2)
		sum += p/10 + p%10
	}
	return (10-sum%10)%10 == int(d[9]-'0')
}
