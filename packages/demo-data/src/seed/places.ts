import type { Region } from './model';

/** A street address in a city; `number` is kept apart because the UK writes it first. */
export interface Site {
  district: string;
  street: string;
  number: number;
  postalCode: string;
  line2?: string;
}

export interface City {
  name: string;
  /** Three letters for location codes such as OSL-STORE-1. */
  code: string;
  country: string;
  region: Region;
  timezone: string;
  /** Relative footfall of a store here. */
  weight: number;
  sites: Site[];
}

export interface WarehouseSite extends Site {
  city: string;
  code: string;
  country: string;
  region: Region;
  timezone: string;
  /** Regions whose stores it restocks. */
  serves: Region[];
}

/**
 * Cities in the order stores open: the first seven cover the brand's seven time zones, so even
 * the demo brand spans them; bigger brands add second and third stores in the same cities.
 */
export const CITIES: readonly City[] = [
  { name: 'Oslo', code: 'OSL', country: 'NO', region: 'Nordics', timezone: 'Europe/Oslo', weight: 1.4, sites: [
    { district: 'Sentrum', street: 'Karl Johans gate', number: 16, postalCode: '0154' },
    { district: 'Storo', street: 'Vitaminveien', number: 7, postalCode: '0485' },
    { district: 'Alnabru', street: 'Strømsveien', number: 266, postalCode: '0668' },
    { district: 'Skøyen', street: 'Karenslyst allé', number: 20, postalCode: '0278' },
  ] },
  { name: 'Stockholm', code: 'STO', country: 'SE', region: 'Nordics', timezone: 'Europe/Stockholm', weight: 1.5, sites: [
    { district: 'Norrmalm', street: 'Drottninggatan', number: 53, postalCode: '111 21' },
    { district: 'Kungens Kurva', street: 'Modulvägen', number: 1, postalCode: '141 75' },
    { district: 'Södermalm', street: 'Götgatan', number: 36, postalCode: '118 26' },
    { district: 'Barkarby', street: 'Herrgårdsvägen', number: 20, postalCode: '177 38' },
  ] },
  { name: 'Copenhagen', code: 'CPH', country: 'DK', region: 'Nordics', timezone: 'Europe/Copenhagen', weight: 1.3, sites: [
    { district: 'Indre By', street: 'Østergade', number: 24, postalCode: '1100', line2: '1. sal' },
    { district: 'Østerbro', street: 'Østerbrogade', number: 80, postalCode: '2100' },
    { district: 'Frederiksberg', street: 'Falkoner Allé', number: 21, postalCode: '2000' },
  ] },
  { name: 'Helsinki', code: 'HEL', country: 'FI', region: 'Nordics', timezone: 'Europe/Helsinki', weight: 1.1, sites: [
    { district: 'Kluuvi', street: 'Aleksanterinkatu', number: 15, postalCode: '00100' },
    { district: 'Ruoholahti', street: 'Itämerenkatu', number: 11, postalCode: '00180' },
    { district: 'Itäkeskus', street: 'Itäkatu', number: 1, postalCode: '00930' },
  ] },
  { name: 'Berlin', code: 'BER', country: 'DE', region: 'DACH', timezone: 'Europe/Berlin', weight: 1.4, sites: [
    { district: 'Mitte', street: 'Rosenthaler Straße', number: 40, postalCode: '10178' },
    { district: 'Charlottenburg', street: 'Kantstraße', number: 17, postalCode: '10623' },
    { district: 'Prenzlauer Berg', street: 'Kastanienallee', number: 12, postalCode: '10435' },
    { district: 'Tempelhof', street: 'Tempelhofer Damm', number: 227, postalCode: '12099' },
  ] },
  { name: 'London', code: 'LON', country: 'GB', region: 'UK & Ireland', timezone: 'Europe/London', weight: 1.6, sites: [
    { district: 'Shoreditch', street: 'Redchurch Street', number: 32, postalCode: 'E2 7DP' },
    { district: 'Marylebone', street: 'Marylebone High Street', number: 48, postalCode: 'W1U 5HL' },
    { district: 'Clapham', street: 'Northcote Road', number: 21, postalCode: 'SW11 1NG' },
    { district: 'Islington', street: 'Upper Street', number: 110, postalCode: 'N1 1QP' },
  ] },
  { name: 'Amsterdam', code: 'AMS', country: 'NL', region: 'Benelux', timezone: 'Europe/Amsterdam', weight: 1.2, sites: [
    { district: 'Centrum', street: 'Utrechtsestraat', number: 75, postalCode: '1017 VJ' },
    { district: 'De Pijp', street: 'Ferdinand Bolstraat', number: 48, postalCode: '1072 LM' },
    { district: 'Oost', street: 'Javastraat', number: 102, postalCode: '1094 HL' },
  ] },
  { name: 'Bergen', code: 'BGO', country: 'NO', region: 'Nordics', timezone: 'Europe/Oslo', weight: 0.9, sites: [
    { district: 'Sentrum', street: 'Strandgaten', number: 18, postalCode: '5013' },
    { district: 'Åsane', street: 'Åsane Senter', number: 16, postalCode: '5116' },
  ] },
  { name: 'Hamburg', code: 'HAM', country: 'DE', region: 'DACH', timezone: 'Europe/Berlin', weight: 1.2, sites: [
    { district: 'Altstadt', street: 'Mönckebergstraße', number: 11, postalCode: '20095' },
    { district: 'Ottensen', street: 'Ottenser Hauptstraße', number: 10, postalCode: '22765' },
    { district: 'Eppendorf', street: 'Eppendorfer Baum', number: 20, postalCode: '20249' },
  ] },
  { name: 'Gothenburg', code: 'GOT', country: 'SE', region: 'Nordics', timezone: 'Europe/Stockholm', weight: 1.0, sites: [
    { district: 'Inom Vallgraven', street: 'Kungsgatan', number: 42, postalCode: '411 19' },
    { district: 'Bäckebol', street: 'Transportgatan', number: 19, postalCode: '422 46' },
  ] },
  { name: 'Munich', code: 'MUC', country: 'DE', region: 'DACH', timezone: 'Europe/Berlin', weight: 1.2, sites: [
    { district: 'Altstadt', street: 'Sendlinger Straße', number: 28, postalCode: '80331' },
    { district: 'Schwabing', street: 'Leopoldstraße', number: 82, postalCode: '80802' },
  ] },
  { name: 'Zurich', code: 'ZRH', country: 'CH', region: 'DACH', timezone: 'Europe/Zurich', weight: 1.0, sites: [
    { district: 'Kreis 1', street: 'Rennweg', number: 20, postalCode: '8001' },
    { district: 'Kreis 5', street: 'Hardstrasse', number: 219, postalCode: '8005' },
  ] },
  { name: 'Vienna', code: 'VIE', country: 'AT', region: 'DACH', timezone: 'Europe/Vienna', weight: 1.0, sites: [
    { district: 'Neubau', street: 'Mariahilfer Straße', number: 88, postalCode: '1070' },
    { district: 'Landstraße', street: 'Landstraßer Hauptstraße', number: 2, postalCode: '1030' },
  ] },
  { name: 'Dublin', code: 'DUB', country: 'IE', region: 'UK & Ireland', timezone: 'Europe/Dublin', weight: 0.9, sites: [
    { district: 'Dublin 2', street: 'South William Street', number: 14, postalCode: 'D02 HX67' },
    { district: 'Ballsbridge', street: 'Baggot Street Lower', number: 34, postalCode: 'D02 Y754' },
  ] },
  { name: 'Manchester', code: 'MAN', country: 'GB', region: 'UK & Ireland', timezone: 'Europe/London', weight: 1.0, sites: [
    { district: 'Northern Quarter', street: 'Oldham Street', number: 45, postalCode: 'M1 1JG' },
    { district: 'Trafford', street: 'Barton Dock Road', number: 2, postalCode: 'M41 7BQ', line2: 'Unit 4' },
  ] },
  { name: 'Brussels', code: 'BRU', country: 'BE', region: 'Benelux', timezone: 'Europe/Brussels', weight: 0.9, sites: [
    { district: 'Dansaert', street: 'Rue Antoine Dansaert', number: 58, postalCode: '1000' },
    { district: 'Ixelles', street: 'Avenue Louise', number: 120, postalCode: '1050' },
  ] },
  { name: 'Aarhus', code: 'AAR', country: 'DK', region: 'Nordics', timezone: 'Europe/Copenhagen', weight: 0.8, sites: [
    { district: 'Midtbyen', street: 'Søndergade', number: 40, postalCode: '8000' },
    { district: 'Skejby', street: 'Olof Palmes Allé', number: 10, postalCode: '8200' },
  ] },
  { name: 'Malmö', code: 'MMX', country: 'SE', region: 'Nordics', timezone: 'Europe/Stockholm', weight: 0.8, sites: [
    { district: 'Centrum', street: 'Södra Förstadsgatan', number: 24, postalCode: '211 43' },
    { district: 'Hyllie', street: 'Hyllie Boulevard', number: 17, postalCode: '215 32' },
  ] },
  { name: 'Trondheim', code: 'TRD', country: 'NO', region: 'Nordics', timezone: 'Europe/Oslo', weight: 0.7, sites: [
    { district: 'Midtbyen', street: 'Nordre gate', number: 11, postalCode: '7011' },
    { district: 'Tiller', street: 'Ivar Lykkes veg', number: 2, postalCode: '7075' },
  ] },
  { name: 'Tampere', code: 'TMP', country: 'FI', region: 'Nordics', timezone: 'Europe/Helsinki', weight: 0.7, sites: [
    { district: 'Keskusta', street: 'Hämeenkatu', number: 20, postalCode: '33200' },
    { district: 'Lielahti', street: 'Lielahdenkatu', number: 24, postalCode: '33400' },
  ] },
  { name: 'Edinburgh', code: 'EDI', country: 'GB', region: 'UK & Ireland', timezone: 'Europe/London', weight: 0.8, sites: [
    { district: 'New Town', street: 'George Street', number: 77, postalCode: 'EH2 3ES' },
    { district: 'Leith', street: 'Ocean Drive', number: 12, postalCode: 'EH6 6JJ' },
  ] },
  { name: 'Rotterdam', code: 'RTM', country: 'NL', region: 'Benelux', timezone: 'Europe/Amsterdam', weight: 0.9, sites: [
    { district: 'Centrum', street: 'Meent', number: 92, postalCode: '3011 JR' },
    { district: 'Kralingen', street: 'Oudedijk', number: 31, postalCode: '3061 AB' },
  ] },
  { name: 'Cologne', code: 'CGN', country: 'DE', region: 'DACH', timezone: 'Europe/Berlin', weight: 0.9, sites: [
    { district: 'Belgisches Viertel', street: 'Ehrenstraße', number: 45, postalCode: '50672' },
    { district: 'Ehrenfeld', street: 'Venloer Straße', number: 310, postalCode: '50823' },
  ] },
  { name: 'Antwerp', code: 'ANR', country: 'BE', region: 'Benelux', timezone: 'Europe/Brussels', weight: 0.8, sites: [
    { district: 'Centrum', street: 'Kammenstraat', number: 30, postalCode: '2000' },
    { district: 'Zuid', street: 'Leopold De Waelplaats', number: 8, postalCode: '2000' },
  ] },
];

/** In opening order; each restocks the stores of the regions it serves. */
export const WAREHOUSES: readonly WarehouseSite[] = [
  { city: 'Gothenburg', code: 'GOT', country: 'SE', region: 'Nordics', timezone: 'Europe/Stockholm', serves: ['Nordics'],
    district: 'Hisings Backa', street: 'Importgatan', number: 12, postalCode: '422 46' },
  { city: 'Hamburg', code: 'HAM', country: 'DE', region: 'DACH', timezone: 'Europe/Berlin', serves: ['DACH', 'Benelux', 'UK & Ireland'],
    district: 'Allermöhe', street: 'Halskestraße', number: 30, postalCode: '22113' },
  { city: 'Northampton', code: 'NTH', country: 'GB', region: 'UK & Ireland', timezone: 'Europe/London', serves: ['UK & Ireland'],
    district: 'Brackmills', street: 'Caswell Road', number: 5, postalCode: 'NN4 7PW' },
  { city: 'Venlo', code: 'VNL', country: 'NL', region: 'Benelux', timezone: 'Europe/Amsterdam', serves: ['Benelux'],
    district: 'Trade Port Noord', street: 'Celsiusweg', number: 15, postalCode: '5928 PR' },
  { city: 'Vantaa', code: 'VAN', country: 'FI', region: 'Nordics', timezone: 'Europe/Helsinki', serves: ['Nordics'],
    district: 'Tikkurila', street: 'Tikkurilantie', number: 140, postalCode: '01530' },
];

/** The online channel is booked at head office. */
export const HEAD_OFFICE = {
  city: 'Oslo', country: 'NO', region: 'Nordics' as Region, timezone: 'Europe/Oslo',
  street: 'Grensen', number: 9, postalCode: '0159', line2: '4. etasje',
};

export function streetLine(country: string, street: string, number: number): string {
  return country === 'GB' || country === 'IE' ? `${number} ${street}` : `${street} ${number}`;
}
