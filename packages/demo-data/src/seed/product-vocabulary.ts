import type { Category } from './model';

export interface ProductType {
  code: string;
  label: string;
  /** Catalogue price range in whole euros before the finish's factor. */
  min: number;
  max: number;
}

export interface Finish {
  code: string;
  label: string;
  /** Price multiplier: leather costs more than cotton. */
  factor: number;
}

export interface CategoryVocabulary {
  category: Category;
  skuPrefix: string;
  /** Share of the catalogue. */
  catalogueShare: number;
  /** Relative chance that an order line is from this category (small things sell more often). */
  demand: number;
  /** Hard price bounds in whole euros, whatever the type and finish. */
  priceRange: [number, number];
  /** Quantities bought in one line and how often. */
  quantities: [number[], number[]];
  types: ProductType[];
  finishes: Finish[];
  name(series: string, type: ProductType, finish: Finish): string;
  description(type: ProductType, finish: Finish): string;
}

/** Product families; each appears across categories as real ranges do. */
export const SERIES = [
  'Fjord', 'Lund', 'Vika', 'Sola', 'Hav', 'Björk', 'Ask', 'Tind', 'Strand', 'Myr', 'Dal', 'Fjell', 'Elv', 'Skog',
  'Lys', 'Saga', 'Runa', 'Frost', 'Alva', 'Idun', 'Halden', 'Kalmar', 'Vinter', 'Sommar', 'Ek', 'Lind', 'Tall',
  'Ljung', 'Mosse', 'Sjö', 'Berg', 'Äng', 'Bryggen', 'Nord', 'Solvik', 'Hamn', 'Kvist', 'Lade', 'Rimfrost', 'Ulv',
];

const lower = (finish: Finish) => finish.label.toLowerCase();

export const VOCABULARY: readonly CategoryVocabulary[] = [
  {
    category: 'sofas', skuPrefix: 'SOF', catalogueShare: 0.12, demand: 0.55, priceRange: [899, 4999], quantities: [[1, 2], [97, 3]],
    types: [
      { code: '2S', label: '2-Seat Sofa', min: 899, max: 2399 },
      { code: '3S', label: '3-Seat Sofa', min: 1199, max: 3299 },
      { code: 'CRN', label: 'Corner Sofa', min: 1999, max: 4599 },
      { code: 'CHS', label: 'Chaise Sofa', min: 1599, max: 3799 },
      { code: 'BED', label: 'Sofa Bed', min: 999, max: 2499 },
      { code: 'MOD', label: 'Modular Sofa', min: 1899, max: 4499 },
    ],
    finishes: [
      { code: 'OAT', label: 'Oat Linen', factor: 1 }, { code: 'CHR', label: 'Charcoal Wool', factor: 1.1 },
      { code: 'FOR', label: 'Forest Velvet', factor: 1.1 }, { code: 'COG', label: 'Cognac Leather', factor: 1.35 },
      { code: 'SND', label: 'Sand Bouclé', factor: 1.15 }, { code: 'STN', label: 'Stone Cotton', factor: 0.9 },
      { code: 'RST', label: 'Rust Corduroy', factor: 1 }, { code: 'NVY', label: 'Navy Wool', factor: 1.1 },
    ],
    name: (series, type, finish) => `${series} ${type.label}, ${finish.label}`,
    description: (type, finish) => `Deep-seated ${type.label.toLowerCase()} with feather-wrapped cushions and removable covers in ${lower(finish)}.`,
  },
  {
    category: 'tables', skuPrefix: 'TBL', catalogueShare: 0.12, demand: 0.7, priceRange: [149, 2999], quantities: [[1, 2], [96, 4]],
    types: [
      { code: 'D160', label: 'Dining Table 160 cm', min: 699, max: 1799 },
      { code: 'D180', label: 'Dining Table 180 cm', min: 799, max: 2199 },
      { code: 'D220', label: 'Dining Table 220 cm', min: 999, max: 2799 },
      { code: 'EXT', label: 'Extendable Dining Table 140-220 cm', min: 899, max: 2599 },
      { code: 'COF', label: 'Coffee Table', min: 199, max: 899 },
      { code: 'SIDE', label: 'Side Table', min: 149, max: 449 },
      { code: 'DSK', label: 'Desk 140 cm', min: 349, max: 999 },
      { code: 'CON', label: 'Console Table', min: 299, max: 899 },
    ],
    finishes: [
      { code: 'OAK', label: 'Oak', factor: 1 }, { code: 'WOAK', label: 'White Oak', factor: 1.05 },
      { code: 'WAL', label: 'Walnut', factor: 1.3 }, { code: 'ASH', label: 'Ash', factor: 0.95 },
      { code: 'BLK', label: 'Black Ash', factor: 0.95 }, { code: 'SMK', label: 'Smoked Oak', factor: 1.1 },
    ],
    name: (series, type, finish) => `${series} ${finish.label} ${type.label}`,
    description: (type, finish) => `Solid ${lower(finish)} ${type.label.toLowerCase().replace(/ \d.*$/, '')} with a hard-wax oil finish.`,
  },
  {
    category: 'chairs', skuPrefix: 'CHR', catalogueShare: 0.16, demand: 1.3, priceRange: [79, 499], quantities: [[1, 2, 4, 6], [35, 30, 25, 10]],
    types: [
      { code: 'DIN', label: 'Dining Chair', min: 79, max: 349 },
      { code: 'ARM', label: 'Armchair', min: 249, max: 499 },
      { code: 'LNG', label: 'Lounge Chair', min: 299, max: 499 },
      { code: 'STL', label: 'Bar Stool', min: 99, max: 279 },
      { code: 'OFC', label: 'Office Chair', min: 199, max: 499 },
      { code: 'BNC', label: 'Bench', min: 149, max: 399 },
    ],
    finishes: [
      { code: 'OAK', label: 'Oak', factor: 1 }, { code: 'BLK', label: 'Black', factor: 0.9 },
      { code: 'WAL', label: 'Walnut', factor: 1.25 }, { code: 'OAT', label: 'Oat Linen', factor: 1.1 },
      { code: 'MOS', label: 'Moss Green', factor: 1.05 }, { code: 'ASH', label: 'Natural Ash', factor: 0.95 },
    ],
    name: (series, type, finish) => `${series} ${type.label}, ${finish.label}`,
    description: (type, finish) => `${type.label} in ${lower(finish)}, steam-bent for a light frame that takes daily use.`,
  },
  {
    category: 'beds', skuPrefix: 'BED', catalogueShare: 0.1, demand: 0.5, priceRange: [399, 2999], quantities: [[1, 2], [97, 3]],
    types: [
      { code: '140', label: 'Bed Frame 140x200', min: 399, max: 1499 },
      { code: '160', label: 'Bed Frame 160x200', min: 499, max: 1999 },
      { code: '180', label: 'Bed Frame 180x200', min: 599, max: 2499 },
      { code: 'UPH', label: 'Upholstered Bed 160x200', min: 899, max: 2799 },
      { code: 'BNK', label: 'Bunk Bed 90x200', min: 499, max: 1199 },
      { code: 'DAY', label: 'Daybed 90x200', min: 399, max: 1199 },
    ],
    finishes: [
      { code: 'OAK', label: 'Oak', factor: 1 }, { code: 'WAL', label: 'Walnut', factor: 1.25 },
      { code: 'WHT', label: 'White', factor: 0.9 }, { code: 'GRY', label: 'Grey Linen', factor: 1.05 },
      { code: 'OAT', label: 'Oat Linen', factor: 1.05 }, { code: 'PIN', label: 'Pine', factor: 0.85 },
    ],
    name: (series, type, finish) => `${series} ${type.label}, ${finish.label}`,
    description: (type, finish) => `${type.label} in ${lower(finish)} with a sprung slatted base; mattress sold separately.`,
  },
  {
    category: 'lighting', skuPrefix: 'LGT', catalogueShare: 0.16, demand: 1.5, priceRange: [29, 399], quantities: [[1, 2, 3], [70, 25, 5]],
    types: [
      { code: 'PND', label: 'Pendant Lamp', min: 59, max: 399 },
      { code: 'FLR', label: 'Floor Lamp', min: 79, max: 399 },
      { code: 'TBL', label: 'Table Lamp', min: 39, max: 249 },
      { code: 'WLL', label: 'Wall Lamp', min: 49, max: 199 },
      { code: 'STR', label: 'LED String Lights', min: 29, max: 79 },
      { code: 'CLG', label: 'Ceiling Lamp', min: 69, max: 349 },
    ],
    finishes: [
      { code: 'OPL', label: 'Opal Glass', factor: 1 }, { code: 'BRS', label: 'Brass', factor: 1.3 },
      { code: 'BLK', label: 'Black Steel', factor: 0.9 }, { code: 'PAP', label: 'Rice Paper', factor: 0.75 },
      { code: 'OAK', label: 'Oak', factor: 1.05 }, { code: 'SMK', label: 'Smoked Glass', factor: 1.1 },
    ],
    name: (series, type, finish) => `${series} ${type.label}, ${finish.label}`,
    description: (type, finish) => `${type.label} in ${lower(finish)} giving a warm, glare-free light; E27 bulb.`,
  },
  {
    category: 'storage', skuPrefix: 'STO', catalogueShare: 0.14, demand: 1, priceRange: [99, 1999], quantities: [[1, 2], [85, 15]],
    types: [
      { code: 'SB180', label: 'Sideboard 180 cm', min: 699, max: 1999 },
      { code: 'SB140', label: 'Sideboard 140 cm', min: 499, max: 1499 },
      { code: 'BKC', label: 'Bookcase', min: 199, max: 899 },
      { code: 'SHF', label: 'Wall Shelf 80 cm', min: 99, max: 249 },
      { code: 'DRW', label: 'Chest of 6 Drawers', min: 399, max: 1299 },
      { code: 'NST', label: 'Nightstand', min: 129, max: 399 },
      { code: 'WRD', label: 'Wardrobe 100 cm', min: 599, max: 1899 },
      { code: 'TVB', label: 'TV Bench 160 cm', min: 399, max: 1199 },
    ],
    finishes: [
      { code: 'OAK', label: 'Oak', factor: 1 }, { code: 'WAL', label: 'Walnut', factor: 1.25 },
      { code: 'WHT', label: 'White', factor: 0.85 }, { code: 'BLK', label: 'Black', factor: 0.9 },
      { code: 'ASH', label: 'Ash', factor: 0.95 },
    ],
    name: (series, type, finish) => `${series} ${type.label}, ${finish.label}`,
    description: (type, finish) => `${type.label} in ${lower(finish)} with soft-close fronts and adjustable shelves.`,
  },
  {
    category: 'rugs', skuPrefix: 'RUG', catalogueShare: 0.1, demand: 0.9, priceRange: [49, 1499], quantities: [[1, 2], [92, 8]],
    types: [
      { code: 'W160', label: 'Wool Rug 160x230', min: 299, max: 899 },
      { code: 'W200', label: 'Wool Rug 200x300', min: 449, max: 1499 },
      { code: 'JUT', label: 'Jute Rug 200x300', min: 199, max: 599 },
      { code: 'RUN', label: 'Runner 80x250', min: 99, max: 349 },
      { code: 'RND', label: 'Round Rug 200 cm', min: 249, max: 799 },
      { code: 'SHP', label: 'Sheepskin Rug', min: 49, max: 149 },
      { code: 'KLM', label: 'Kilim Rug 170x240', min: 249, max: 799 },
    ],
    finishes: [
      { code: 'NAT', label: 'Natural', factor: 1 }, { code: 'CHR', label: 'Charcoal', factor: 1 },
      { code: 'RST', label: 'Rust', factor: 1.05 }, { code: 'SGE', label: 'Sage', factor: 1.05 },
      { code: 'IVY', label: 'Ivory', factor: 1 }, { code: 'IND', label: 'Indigo', factor: 1.1 },
    ],
    name: (series, type, finish) => `${series} ${type.label}, ${finish.label}`,
    description: (type, finish) => `${type.label} in ${lower(finish)}, hand-woven and durable enough for hallways.`,
  },
  {
    category: 'outdoor', skuPrefix: 'OUT', catalogueShare: 0.1, demand: 0.8, priceRange: [79, 1999], quantities: [[1, 2, 4], [60, 25, 15]],
    types: [
      { code: 'LNG', label: 'Lounge Chair', min: 149, max: 599 },
      { code: 'D200', label: 'Dining Table 200 cm', min: 599, max: 1899 },
      { code: 'DIN', label: 'Dining Chair', min: 79, max: 249 },
      { code: '2S', label: '2-Seat Sofa', min: 899, max: 1999 },
      { code: 'SUN', label: 'Sun Lounger', min: 249, max: 799 },
      { code: 'PAR', label: 'Parasol 300 cm', min: 199, max: 599 },
      { code: 'BNC', label: 'Garden Bench', min: 179, max: 449 },
    ],
    finishes: [
      { code: 'TEAK', label: 'Teak', factor: 1.2 }, { code: 'ALU', label: 'Black Aluminium', factor: 1 },
      { code: 'ACA', label: 'Acacia', factor: 0.85 }, { code: 'ROPE', label: 'Sand Rope', factor: 1.05 },
      { code: 'OLV', label: 'Olive Green', factor: 0.95 },
    ],
    name: (series, type, finish) => `${series} Outdoor ${type.label}, ${finish.label}`,
    description: (type, finish) => `Weatherproof ${type.label.toLowerCase()} in ${lower(finish)}; store covered over winter.`,
  },
];

export const VOCABULARY_BY_CATEGORY = new Map(VOCABULARY.map((entry) => [entry.category, entry]));

/** Outdoor sells in spring and summer; index is the UTC month. Divided by its maximum when sampling. */
export const OUTDOOR_SEASON = [0.3, 0.4, 0.8, 1.4, 2.2, 2.5, 2.2, 1.3, 0.7, 0.4, 0.3, 0.4];
