/**
 * Word lists behind the offline query generator (offlineQueries.ts). They encode how shoppers phrase product
 * searches differently from catalogue titles: no units, sizes or pack counts, no marketing words, everyday
 * names for catalogue categories. Kept small and general (nothing here names a particular evaluation query).
 * The word lists are laid out by hand, many words a line; `prettier-ignore` keeps them so.
 */

/** Words that never make a query on their own or inside one. */
// prettier-ignore
export const stopWords = new Set([
  'a', 'an', 'and', 'or', 'the', 'of', 'for', 'to', 'with', 'without', 'in', 'on', 'by', 'at', 'from', 'into', 'as', 'per',
  'w', 'x', 'vs', 'incl', 'including', 'plus', 'pack', 'pk', 'pcs', 'pc(s)', 'piece', 'pieces', 'unit',
  'new', 'original', 'genuine', 'compatible', 'oem', 'high', 'yield', 'standard', 'premium', 'professional', 'pro', 'series',
  'edition', 'version', 'model', 'type', 'retail', 'bulk', 'box', 'boxed', 'ea', 'each', 'only', 'extra', 'free',
  'gen', 'generation', 'th', 'nd', 'rd', 'st', 'ii', 'iii', 'iv', 'energy', 'star', 'refurbished', 'inc', 'ltd', 'co',
]);

/** Measurement units: dropped together with the number before them. */
// prettier-ignore
export const units = new Set([
  'mm', 'cm', 'm', 'km', 'in', 'inch', 'inches', 'ft', 'feet', 'foot', 'yd', 'g', 'kg', 'lb', 'lbs', 'oz', 'ml', 'l',
  'mb', 'gb', 'tb', 'kb', 'mhz', 'ghz', 'hz', 'khz', 'w', 'kw', 'v', 'mah', 'wh', 'db', 'dpi', 'ppm', 'rpm', 'mbps', 'gbps',
  'mbit/s', 'gbit/s', 'pixels', 'px', 'pages', 'sheets', 'channels', 'ohm', 'gauge', 'awg', 'lm', 'x', 'pin', 'port', 'ports',
]);

// prettier-ignore
export const colours = new Set([
  'black', 'white', 'silver', 'grey', 'gray', 'red', 'blue', 'green', 'yellow', 'orange', 'pink', 'purple', 'brown', 'gold',
  'beige', 'cyan', 'magenta', 'violet', 'turquoise', 'transparent', 'multicolor', 'multicolour', 'graphite', 'titanium',
]);

/**
 * Shopper tokens that contain digits but are not model numbers; every other token with a digit is treated as a
 * model number, size or count and left out (only the `brand model type` template keeps a product's own code).
 */
// prettier-ignore
export const digitWords = new Set([
  'ps2', 'ps3', 'ps4', 'ps5', 'mp3', 'mp4', '3d', '4k', '8k', '5g', '4g', '3g', '2in1', '2-in-1', 'usb-c', 'usb3', 'usb-3',
  'a4', 'a3', 'a5', 'cat5', 'cat5e', 'cat6', 'cat6a', 'cat7', 'rj45', 'rj11', 'ddr3', 'ddr4', 'ddr5', 'i3', 'i5', 'i7', 'i9',
  'm.2', 'hdmi2', '802.11ac', 'wi-fi6', 'x86', '1080p', '720p', '9v',
]);

/** Catalogue category names and the word(s) shoppers use for them; the catalogue word is kept as well. */
export const typeSynonyms: Record<string, string[]> = {
  notebook: ['laptop'],
  'notebook case': ['laptop case', 'laptop bag'],
  'notebook bag': ['laptop bag'],
  'notebook stand': ['laptop stand'],
  'notebook dock/port replicator': ['docking station', 'laptop dock'],
  'notebook docks & port replicators': ['docking station'],
  'notebook spare part': ['laptop part'],
  'notebook cooling pad': ['laptop cooler'],
  'usb flash drive': ['usb stick', 'flash drive', 'thumb drive'],
  'flash drive': ['usb stick', 'thumb drive'],
  'headphones/headset': ['headphones', 'headset'],
  'mobile phone': ['cell phone', 'phone'],
  smartphone: ['cell phone', 'phone'],
  'mobile phone case': ['phone case'],
  'single-use battery': ['battery', 'batteries'],
  'rechargeable battery': ['rechargeable batteries', 'battery'],
  'household battery': ['battery', 'batteries'],
  'memory card': ['sd card', 'card'],
  'hdmi cable': ['hdmi cord'],
  'networking cable': ['ethernet cable', 'network cable'],
  'power extension': ['extension cord', 'power strip'],
  'surge protector': ['power strip'],
  'mouse pad': ['mousepad'],
  mice: ['mouse'],
  'digital camera': ['camera'],
  'compact camera': ['camera', 'digital camera'],
  'bridge camera': ['camera', 'digital camera'],
  'action sports camera': ['action camera', 'camera'],
  camcorder: ['video camera'],
  'docking speaker': ['speaker', 'bluetooth speaker'],
  'portable speaker': ['speaker', 'bluetooth speaker'],
  'stereo portable speaker': ['portable speaker', 'bluetooth speaker'],
  'speaker set': ['speakers', 'computer speakers'],
  smartwatch: ['smart watch'],
  'activity tracker': ['fitness tracker'],
  'ink cartridge': ['ink', 'printer ink'],
  'toner cartridge': ['toner'],
  'multifunction printer': ['printer', 'all in one printer'],
  'laser printer': ['printer'],
  'inkjet printer': ['printer'],
  'photo printer': ['printer'],
  'large format printer': ['printer', 'plotter'],
  'all-in-one pc/workstation': ['all in one computer', 'desktop computer'],
  'pc/workstation': ['desktop computer', 'computer'],
  workstation: ['desktop computer'],
  'mini pc': ['desktop computer'],
  'internal solid state drive': ['ssd'],
  'external solid state drive': ['external ssd'],
  'internal hard drive': ['hard drive', 'hdd'],
  'external hard drive': ['external drive', 'hard drive'],
  'optical disc drive': ['cd drive', 'dvd drive'],
  'computer monitor': ['monitor', 'screen'],
  tablet: ['ipad'],
  keyboard: ['computer keyboard'],
  earphones: ['earbuds'],
  'power bank': ['external battery', 'portable charger'],
  'mobile device charger': ['charger', 'phone charger'],
  'power adapter/inverter': ['charger', 'power adapter'],
  'ac adapter': ['charger', 'power adapter'],
  projector: ['beamer'],
  'data projector': ['projector'],
  'graphics tablet': ['drawing tablet'],
  'stylus pen': ['stylus'],
  lamp: ['light'],
  'desk lamp': ['lamp'],
  'table lamp': ['lamp'],
};

/** Brand names as written in the catalogue's supplier field, shortened the way shoppers type them. */
export function shopperBrand(supplier: string): string {
  return supplier
    .toLowerCase()
    .replace(/\.(com|net|de)$/, '')
    .replace(/[®™]/g, '')
    .replace(/\b(technology|technologies|international|corporation|corp|inc|ltd|gmbh|co|llc|group|electronics|europe|usa)\b\.?/g, '')
    .replace(/[,&]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** Descriptive words that make a shopper's modifier ("wireless mouse", "gaming keyboard"), kept in templates. */
// prettier-ignore
export const featureWords = new Set([
  'wireless', 'bluetooth', 'usb', 'hdmi', 'vga', 'dvi', 'displayport', 'thunderbolt', 'ethernet', 'wifi', 'wi-fi', 'portable',
  'gaming', 'rechargeable', 'ergonomic', 'mechanical', 'optical', 'laser', 'inkjet', 'mini', 'micro', 'external', 'internal',
  'waterproof', 'noise', 'cancelling', 'stereo', 'digital', 'smart', 'led', 'lcd', 'oled', 'curved', 'touchscreen', 'touch',
  'aa', 'aaa', 'c', 'd', '9v', 'lithium', 'alkaline', 'sd', 'microsd', 'sdhc', 'sdxc', 'compactflash', 'ssd', 'hdd', 'sata',
  'nvme', 'pcie', 'coax', 'fibre', 'fiber', 'audio', 'video', 'power', 'car', 'travel', 'kids', 'photo', 'colour', 'color',
  'mono', 'duplex', 'network', 'outdoor', 'indoor', 'solar', 'magnetic', 'adjustable', 'foldable', 'in-ear', 'on-ear',
  'over-ear', 'true', 'tws', 'desk', 'wall', 'ceiling', 'keyboard', 'mouse', 'laptop', 'notebook', 'tablet', 'phone',
  'iphone', 'ipad', 'android', 'mac', 'macbook', 'xbox', 'playstation', 'nintendo', 'chromebook',
]);

/** Feature words that are adjectives only: never the head noun of a product type. */
// prettier-ignore
export const adjectives = new Set([
  'wireless', 'bluetooth', 'portable', 'gaming', 'rechargeable', 'ergonomic', 'mechanical', 'optical', 'mini', 'micro',
  'external', 'internal', 'waterproof', 'noise', 'cancelling', 'stereo', 'digital', 'smart', 'curved', 'magnetic',
  'adjustable', 'foldable', 'in-ear', 'on-ear', 'over-ear', 'true', 'outdoor', 'indoor', 'duplex', 'mono', 'colour', 'color',
  'alkaline', 'lithium', 'solar', 'travel', 'kids', 'desk', 'wall', 'ceiling', 'network', 'audio', 'video', 'power', 'photo',
  'aa', 'aaa', 'usb', 'hdmi', 'vga', 'dvi', 'sd', 'led', 'lcd', 'analog', 'analogue',
]);
