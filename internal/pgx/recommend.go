package pgx

import (
	"fmt"
	"strings"
)

// Tags the DPYD call can put on a sample (DESIGN.md, report contract).
const (
	tagReduce  = "treatment:fluoropyrimidine-reduce-50pct"
	tagAvoid   = "treatment:fluoropyrimidine-avoid"
	tagConfirm = "follow-up:confirmatory-testing"
)

// cpicGuideline cites the guideline every recommendation comes from.
const cpicGuideline = "CPIC guideline for fluoropyrimidines and DPYD (Amstutz et al., Clin Pharmacol Ther 2018;103:210-216, PMID 29152729), November 2018 update"

// c2846Name is c.2846A>T: the November 2018 CPIC update notes that homozygous carriers
// (activity score 1) may need a starting dose reduced by more than 50%.
const c2846Name = "c.2846A>T"

// CPIC Table 2 (Amstutz et al. 2018; dosing of 5-fluorouracil or capecitabine by DPYD
// phenotype), as amended in November 2018 (activity score 1.5: 50% reduction, previously
// 25-50%, following Henricks et al., Lancet Oncol 2018). The wording is the guideline's.
const (
	recNormal  = "Based on genotype, there is no indication to change dose or therapy. Use label-recommended dosage and administration."
	recReduce  = "Reduce starting dose by 50% followed by titration of dose based on toxicity or therapeutic drug monitoring (if available)."
	rec2846    = " Patients homozygous for c.2846A>T may require a starting dose reduction of more than 50%."
	recAvoid05 = "Avoid use of 5-fluorouracil or 5-fluorouracil prodrug-based regimens. In the event, based on clinical advice, alternative agents are not considered a suitable therapeutic option, 5-fluorouracil should be administered at a strongly reduced dose with early therapeutic drug monitoring."
	recAvoid0  = "Avoid use of 5-fluorouracil or 5-fluorouracil prodrug-based regimens."
)

// fluoropyrimidines are the drugs CPIC's DPYD recommendations cover (Table 2, footnote a:
// 5-fluorouracil or capecitabine).
var fluoropyrimidines = [...]string{"fluorouracil", "capecitabine"}

// recommend fills the recommendations, alert and tags of a call with activity score k.half.
func (c *caller) recommend(r *Result, k call, caveat string) {
	var text, strength, action string
	switch k.half {
	case 4:
		text, strength, r.Alert.Severity = recNormal, "strong", "none"
		action = "standard fluorouracil/capecitabine dosing"
	case 3, 2:
		text, strength, r.Alert.Severity = recReduce, "strong", "moderate"
		if k.half == 3 {
			strength = "moderate" // CPIC: activity score 1.5 moderate, 1 strong
		}
		if len(k.score) == 2 && k.score[0] == c2846Name && k.score[1] == c2846Name {
			text += rec2846
		}
		action = "start fluorouracil/capecitabine at 50% of the standard dose and titrate"
		r.Tags = append(r.Tags, tagReduce)
	case 1:
		text, strength, r.Alert.Severity = recAvoid05, "strong", "high"
		action = "avoid fluorouracil/capecitabine; if no alternative, strongly reduced dose with early therapeutic drug monitoring"
		r.Tags = append(r.Tags, tagAvoid)
	default:
		text, strength, r.Alert.Severity = recAvoid0, "strong", "high"
		action = "avoid fluorouracil/capecitabine"
		r.Tags = append(r.Tags, tagAvoid)
	}
	for _, drug := range fluoropyrimidines {
		r.Recommendations = append(r.Recommendations, Recommendation{Drug: drug, Guideline: cpicGuideline, Text: text, Strength: strength})
	}
	r.Alert.Message = fmt.Sprintf("DPYD %s (activity score %.1f): %s (CPIC, %s).", r.Phenotype, float64(k.half)/2, action, strength)
	if caveat != "" {
		r.Alert.Message += " " + caveat
	}
	if c.fromExon {
		r.Alert.Message += " HapB3 decreased function inferred from the exonic tag SNP c.1236G>A only."
	}
	if len(c.unknown) > 0 {
		// CPIC/PharmCAT score an undocumented allele as reference; at the position of a
		// decreased- or no-function allele its effect is unknown, which the clinician must see.
		r.Alert.Message += fmt.Sprintf(" Unclassified variant %s scored as normal function; its effect is unknown.", strings.Join(c.unknown, ", "))
	}
	if caveat != "" || c.fromExon || len(c.unknown) > 0 {
		r.Tags = append(r.Tags, tagConfirm)
	}
}

// sources lists what a DPYD result depends on.
func (d *Definition) sources() []string {
	return []string{
		cpicGuideline + "; https://cpicpgx.org/guidelines/guideline-for-fluoropyrimidines-and-dpyd/",
		"CPIC DPYD allele definition, January 2024 update (HapB3: intronic c.1129-5923C>G causal, exonic c.1236G>A tag)",
		fmt.Sprintf("PharmCAT DPYD definition (DPYD_translation.json %s, DPYD phenotype %s) and DPYD calling method (PharmCAT Gene Definition Exceptions: DPYD)", d.versions[0], d.versions[1]),
	}
}
