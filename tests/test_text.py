from bot.core.text import is_stopword, normalise, rewrites, squeeze, stem, swap_layout, transliterate


def test_normalise_folds_case_yo_kazakh_letters_punctuation_emoji_and_invisible_characters():
    assert normalise("  Где ПОЛУЧИТЬ ИИН?!! 😀 ") == "где получить иин"
    assert normalise("Ещё") == "еще"
    assert normalise("ЖСН алу үшін қандай құжаттар") == "жсн алу ушин кандай кужаттар"
    assert normalise("и\u200bи\u200dн") == "иин"
    assert normalise("ииииин") == "иин"
    assert squeeze(normalise("привееееет")) == "привет"
    assert normalise("иин") == "иин"  # two equal letters are a word, not a repeat
    assert normalise("😀🎉🔥" * 500) == ""


def test_layout_swap_reads_russian_typed_on_the_english_layout_and_back():
    assert swap_layout("ult gjkexbnm bby") == "где получить иин"
    assert swap_layout("rfr jnrhsnm cx`n") == "как открыть счёт"
    assert swap_layout("руддщ") == "hello"


def test_transliteration_reads_russian_typed_in_latin_letters():
    assert transliterate("kak poluchit iin") == "как получит иин"
    assert transliterate("gde zhile dlya ukraincev") == "где жиле для украинцев"
    assert transliterate("shchetka chto yazyk") == "щетка что язык"
    assert transliterate("kakoy rossiyaninu") == "какой россиянину"


def test_rewrites_offer_every_reading_and_keep_the_original_first():
    kinds = dict(rewrites("kak poluchit iin"))
    assert list(kinds) == ["typed", "layout", "translit"]
    assert kinds["translit"] == "как получит иин"
    assert [k for k, _ in rewrites("где иин")] == ["typed", "layout"]


def test_stemming_joins_word_forms_per_script():
    assert stem("квартиру") == stem("квартиры")
    assert stem("banks") == stem("bank")
    assert stem("90") == "90"


def test_stopwords_are_recognised_as_normalised_messages_spell_them():
    # "мені" is read as "мени", "кім" as "ким": a stopword kept unfolded would never be recognised
    for word in ("мені", "тільки", "потрібно", "кім", "підкажіть", "всё"):
        assert is_stopword(normalise(word)), word
