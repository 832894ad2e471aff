namespace Examples.TrainingForQuality;

/// <summary>Whole numbers from 1 to 999 spelt out in English and in Spanish: a small translation task with real grammar.</summary>
internal static class NumberWords
{
    private static readonly string[] EnglishOnes =
    [
        "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve", "thirteen",
        "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen",
    ];
    private static readonly string[] EnglishTens = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"];

    // Spanish writes 0–29 as single words (veintiuno, veintidós, …), then "treinta y uno".
    private static readonly string[] SpanishSmall =
    [
        "cero", "uno", "dos", "tres", "cuatro", "cinco", "seis", "siete", "ocho", "nueve", "diez", "once", "doce", "trece", "catorce",
        "quince", "dieciséis", "diecisiete", "dieciocho", "diecinueve", "veinte", "veintiuno", "veintidós", "veintitrés",
        "veinticuatro", "veinticinco", "veintiséis", "veintisiete", "veintiocho", "veintinueve",
    ];
    private static readonly string[] SpanishTens =
        ["", "", "", "treinta", "cuarenta", "cincuenta", "sesenta", "setenta", "ochenta", "noventa"];
    private static readonly string[] SpanishHundreds =
    [
        "", "ciento", "doscientos", "trescientos", "cuatrocientos", "quinientos", "seiscientos", "setecientos", "ochocientos",
        "novecientos",
    ];

    /// <summary>"three hundred twenty-one".</summary>
    public static string English(int n) => n switch
    {
        < 20 => EnglishOnes[n],
        < 100 => EnglishTens[n / 10] + (n % 10 > 0 ? "-" + EnglishOnes[n % 10] : ""),
        _ => EnglishOnes[n / 100] + " hundred" + (n % 100 > 0 ? " " + English(n % 100) : ""),
    };

    /// <summary>"trescientos veintiuno" (and "cien" alone, "ciento uno" after it).</summary>
    public static string Spanish(int n) => n switch
    {
        < 30 => SpanishSmall[n],
        < 100 => SpanishTens[n / 10] + (n % 10 > 0 ? " y " + SpanishSmall[n % 10] : ""),
        100 => "cien",
        _ => SpanishHundreds[n / 100] + (n % 100 > 0 ? " " + Spanish(n % 100) : ""),
    };
}
